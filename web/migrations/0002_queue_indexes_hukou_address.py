from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('juzhu', '0001_initial')]

    initial = False

    operations = [
        ops.AddField(
            model_name='DeclarationOccupant',
            name='hukou_address',
            field=fields.CharField(default='', db_default='', max_length=255),
        ),
        ops.RemoveIndex(
            model_name='PermitApplication',
            name='idx_applications_queue',
            fields=None,
        ),
        ops.AddIndex(
            model_name='PermitApplication',
            index=Index(fields=['point_id', 'state', 'submitted_at', 'id'], name='idx_applications_queue'),
        ),
        ops.AddIndex(
            model_name='PermitApplication',
            index=Index(fields=['point_id', 'due_date', 'id'], name='idx_applications_due'),
        ),
        ops.AddIndex(
            model_name='PermitApplication',
            index=Index(fields=['point_id', 'name'], name='idx_applications_point_name'),
        ),
        ops.RemoveIndex(
            model_name='ResidenceDeclaration',
            name='idx_declarations_street_status',
            fields=None,
        ),
        ops.AddIndex(
            model_name='ResidenceDeclaration',
            index=Index(fields=['street_id', 'status', 'is_late', 'submitted_at', 'id'], name='idx_declarations_queue'),
        ),
    ]
