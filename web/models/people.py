"""People (by identity document), units (employers and schools) and unit rosters."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class IdType(StrEnum):
    RESIDENT_ID = "resident_id"  # 居民身份证
    PASSPORT = "passport"  # 护照
    HK_MACAO_TAIWAN = "hk_macao_taiwan"  # 港澳台居民往来通行证
    OTHER = "other"  # 其他


class Sex(StrEnum):
    MALE = "M"
    FEMALE = "F"


class Person(Model):
    """A natural person, identified by document type and number: declarations may know little more.

    A landlord's move-in declaration creates the person with what it carries; the profile, the
    permit application and the counter fill in the rest, so most attributes may be empty.
    """

    id = fields.IntField(primary_key=True)
    id_type = fields.CharEnumField(IdType, max_length=16)
    id_number = fields.CharField(max_length=32)
    name = fields.CharField(max_length=64)
    sex = fields.CharEnumField(Sex, max_length=1, null=True)
    # GB 3304 code of the 民族 ("01" 汉族 ... "56" 基诺族), see web.services.rules.ETHNICITIES.
    ethnicity = fields.CharField(max_length=2, default="", db_default="")
    birth_date = fields.DateField(null=True)
    hukou_address = fields.CharField(max_length=255, default="", db_default="")  # 户籍地址
    mobile = fields.CharField(max_length=11, default="", db_default="")
    education = fields.CharField(max_length=16, default="", db_default="")  # rules.EDUCATION_LEVELS
    workplace = fields.CharField(max_length=128, default="", db_default="")  # 服务处所 or school
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "people"
        unique_together = (("id_type", "id_number"),)


class Unit(Model):
    """An employer or school (单位) with an agent account opened at an acceptance point."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=128)
    credit_code = fields.CharField(max_length=18, unique=True)  # 统一社会信用代码, GB 32100-2015
    address = fields.CharField(max_length=255)
    contact_name = fields.CharField(max_length=64)
    contact_phone = fields.CharField(max_length=20)
    # The point whose staff opened the account (单位账号只能在受理点开设) and serves the unit.
    point: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "juzhu.AcceptancePoint", related_name="units", on_delete=fields.RESTRICT
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "units"


class UnitMember(Model):
    """The unit's roster: people it declares, applies and endorses for (单位代办 / 单位签注)."""

    id = fields.IntField(primary_key=True)
    unit: fields.ForeignKeyRelation[Unit] = fields.ForeignKeyField(
        "juzhu.Unit", related_name="members", on_delete=fields.CASCADE
    )
    person: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "juzhu.Person", related_name="memberships", on_delete=fields.RESTRICT
    )
    joined_at = fields.DatetimeField(auto_now_add=True)
    # Leaving keeps the row (history of who declared for whom); rejoining clears left_at.
    left_at = fields.DatetimeField(null=True)

    class Meta:
        table = "unit_members"
        unique_together = (("unit", "person"),)
