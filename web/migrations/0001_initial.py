from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='SmsOutbox',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('mobile', fields.CharField(db_index=True, max_length=11)),
                ('purpose', fields.CharField(max_length=32)),
                ('body', fields.TextField(unique=False)),
                ('code', fields.CharField(null=True, max_length=8)),
                ('sent_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'sms_outbox', 'app': 'juzhu', 'pk_attr': 'id', 'table_description': "Messages the `outbox` SMS backend 'sent': the developer's phone at /dev/sms."},
            bases=['Model'],
        ),
    ]
