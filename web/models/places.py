"""Streets (街道) and their acceptance points (受理点): the geography every record hangs on."""

from __future__ import annotations

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model


class Street(Model):
    """A street office (街道) of Shenzhen, keyed by its official 9-digit division code."""

    code = fields.CharField(max_length=9, primary_key=True)
    name = fields.CharField(max_length=32)
    name_en = fields.CharField(max_length=64)
    district = fields.CharField(max_length=16)
    district_en = fields.CharField(max_length=32)
    # The address form asks district (adcode) first, then lists its streets.
    district_adcode = fields.CharField(max_length=6)
    # e.g. 大鹏新区: a functional area spanning streets of an administrative district.
    functional_area = fields.CharField(max_length=16, default="", db_default="")
    # Approximate placeholders from data/shenzhen_streets.csv (DOMAIN §8); the city replaces the data.
    lat = fields.DecimalField(max_digits=9, decimal_places=6)
    lng = fields.DecimalField(max_digits=9, decimal_places=6)

    class Meta:
        table = "streets"
        indexes = [Index(fields=("district_adcode",), name="idx_streets_district")]


class AcceptancePoint(Model):
    """Where applications are accepted and cards collected (受理点), one per street (DOMAIN §8)."""

    id = fields.IntField(primary_key=True)
    # The street code: stable across re-seeding, and what forms post as `acceptance_point`.
    code = fields.CharField(max_length=9, unique=True)
    name = fields.CharField(max_length=64)
    street: fields.OneToOneRelation[Street] = fields.OneToOneField(
        "juzhu.Street", related_name="point", on_delete=fields.RESTRICT
    )
    address = fields.CharField(max_length=255)
    hours = fields.CharField(max_length=128)
    lat = fields.DecimalField(max_digits=9, decimal_places=6)
    lng = fields.DecimalField(max_digits=9, decimal_places=6)
    daily_capacity = fields.IntField(default=200, db_default=200)
    is_active = fields.BooleanField(default=True, db_default=True)

    class Meta:
        table = "acceptance_points"
