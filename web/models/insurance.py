"""Social-insurance months (社保), imported by administrators from the registry's CSV."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class InsuranceMonth(Model):
    """One month of Shenzhen social insurance paid for a person (条例 Art. 19: stable occupation).

    Keyed by the ID number, not by Person: the registry's export knows numbers, and months may be
    imported before the person ever appears on the platform.
    """

    id = fields.BigIntField(primary_key=True)
    id_number = fields.CharField(max_length=32)
    month = fields.DateField()  # the first day of the month paid for
    insurer = fields.CharField(max_length=128, default="", db_default="")  # 参保单位

    class Meta:
        table = "insurance_months"
        # The unique index leads with id_number, so it also serves "all months of this person":
        # a separate index on id_number alone would only cost writes.
        unique_together = (("id_number", "month"),)
