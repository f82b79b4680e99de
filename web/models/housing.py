"""Houses, landlords' links to them, residence declarations and the registrations they create."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from web.models.base import include_in_partial_save


class HouseKind(StrEnum):
    RENTAL = "rental"  # 出租屋: the landlord declares
    DORMITORY = "dormitory"  # 单位/学校宿舍: the unit declares
    OWN = "own"  # 自有/自建房: the person declares
    MANAGED = "managed"  # 代管房屋: the actual manager declares


class Review(StrEnum):
    PENDING = "pending"  # 待审核
    APPROVED = "approved"
    REJECTED = "rejected"  # 审核不通过


class DeclarantKind(StrEnum):
    LANDLORD = "landlord"  # 出租人
    UNIT = "unit"
    SELF = "self"  # own home
    ASSISTED = "assisted"  # 辅助申报: the resident declares when the landlord did not


class DeclarationKind(StrEnum):
    MOVE_IN = "move_in"  # 入住
    CHANGE = "change"  # change of occupant data
    MOVE_OUT = "move_out"  # 搬离


class DeclarationStatus(StrEnum):
    PENDING = "pending"  # 待审核
    REGISTERED = "registered"  # 已登记
    REJECTED = "rejected"  # 审核不通过, always with a reason


class House(Model):
    """A dwelling with its house code (房屋编码), found by district → street → building → room."""

    id = fields.IntField(primary_key=True)
    house_code = fields.CharField(max_length=32, unique=True)
    street: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "juzhu.Street", related_name="houses", on_delete=fields.RESTRICT
    )
    building = fields.CharField(max_length=64)
    room = fields.CharField(max_length=32)
    address = fields.CharField(max_length=255)
    kind = fields.CharEnumField(HouseKind, max_length=16)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "houses"
        # The house finder lists the buildings of a street, then the rooms of a building.
        indexes = [Index(fields=("street_id", "building"), name="idx_houses_street_building")]


class HouseLink(Model):
    """A landlord's claim to a house, approved by staff before the landlord may declare for it."""

    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "juzhu.Account", related_name="house_links", on_delete=fields.CASCADE
    )
    house: fields.ForeignKeyRelation[House] = fields.ForeignKeyField(
        "juzhu.House", related_name="links", on_delete=fields.RESTRICT
    )
    status = fields.CharEnumField(Review, max_length=16, default=Review.PENDING, db_default=Review.PENDING)
    reason = fields.TextField(default="", db_default="")
    reviewed_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "juzhu.Account", related_name="reviewed_house_links", null=True, on_delete=fields.SET_NULL
    )
    reviewed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "house_links"
        unique_together = (("account", "house"),)


class ResidenceDeclaration(Model):
    """A declaration of who moved in or out (条例 Art. 7), reviewed by the street's point."""

    id = fields.IntField(primary_key=True)
    declarant: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "juzhu.Account", related_name="declarations", on_delete=fields.RESTRICT
    )
    declarant_kind = fields.CharEnumField(DeclarantKind, max_length=16)
    kind = fields.CharEnumField(DeclarationKind, max_length=16)
    # Null when the house was not found and the address was typed by hand.
    house: fields.ForeignKeyNullableRelation[House] = fields.ForeignKeyField(
        "juzhu.House", related_name="declarations", null=True, on_delete=fields.RESTRICT
    )
    street: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "juzhu.Street", related_name="declarations", on_delete=fields.RESTRICT
    )
    address_detail = fields.CharField(max_length=255, default="", db_default="")
    event_date = fields.DateField()  # move-in or move-out date
    status = fields.CharEnumField(
        DeclarationStatus, max_length=16, default=DeclarationStatus.PENDING, db_default=DeclarationStatus.PENDING
    )
    reason = fields.TextField(default="", db_default="")
    # Declared after the 7/15-day deadline (rules.DECLARATION_DEADLINE_DAYS); recorded, not refused.
    is_late = fields.BooleanField(default=False, db_default=False)
    submitted_at = fields.DatetimeField(auto_now_add=True)
    reviewed_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "juzhu.Account", related_name="reviewed_declarations", null=True, on_delete=fields.SET_NULL
    )
    reviewed_at = fields.DatetimeField(null=True)
    unit: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "juzhu.Unit", related_name="declarations", null=True, on_delete=fields.RESTRICT
    )

    class Meta:
        table = "residence_declarations"
        indexes = [
            # The staff queue: pending declarations of the point's street, late ones first, then
            # oldest first, paged by (submitted_at, id).
            Index(fields=("street_id", "status", "is_late", "submitted_at", "id"), name="idx_declarations_queue"),
            # 我的申报: the declarant's own declarations, newest first.
            Index(fields=("declarant_id", "submitted_at"), name="idx_declarations_declarant"),
        ]


class DeclarationOccupant(Model):
    """One of the (at most 3) people a declaration covers, with the move-in details."""

    id = fields.IntField(primary_key=True)
    declaration: fields.ForeignKeyRelation[ResidenceDeclaration] = fields.ForeignKeyField(
        "juzhu.ResidenceDeclaration", related_name="occupants", on_delete=fields.CASCADE
    )
    person: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "juzhu.Person", related_name="declared_in", on_delete=fields.RESTRICT
    )
    # The move-in fields below stay empty on a move-out, which needs only the person.
    hukou_address_type = fields.CharField(max_length=16, default="", db_default="")
    # The hukou address as declared: a person already known keeps their profile's address, the
    # declaration keeps what the declarant wrote (staff compare the two).
    hukou_address = fields.CharField(max_length=255, default="", db_default="")
    occupation = fields.SmallIntField(null=True)  # rules.OCCUPATIONS, codes 1-13
    workplace = fields.CharField(max_length=128, default="", db_default="")  # 服务处所
    reason_code = fields.SmallIntField(null=True)  # 来深事由, rules.REASONS, codes 1-14
    head_of_household = fields.CharField(max_length=64, default="", db_default="")  # 在深户主
    relation = fields.CharField(max_length=32, default="", db_default="")  # to the head of household
    emergency_phone = fields.CharField(max_length=20, default="", db_default="")

    class Meta:
        table = "declaration_occupants"
        indexes = [
            Index(fields=("declaration_id",), name="idx_occupants_declaration"),
            Index(fields=("person_id",), name="idx_occupants_person"),
        ]


class Registration(Model):
    """A person's residence registration (居住登记) at one address, from move-in to move-out."""

    id = fields.IntField(primary_key=True)
    person: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "juzhu.Person", related_name="registrations", on_delete=fields.RESTRICT
    )
    house: fields.ForeignKeyNullableRelation[House] = fields.ForeignKeyField(
        "juzhu.House", related_name="registrations", null=True, on_delete=fields.RESTRICT
    )
    street: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "juzhu.Street", related_name="registrations", on_delete=fields.RESTRICT
    )
    address = fields.CharField(max_length=255)
    start_date = fields.DateField()
    end_date = fields.DateField(null=True)
    declaration: fields.ForeignKeyRelation[ResidenceDeclaration] = fields.ForeignKeyField(
        "juzhu.ResidenceDeclaration", related_name="registrations", on_delete=fields.RESTRICT
    )
    end_declaration: fields.ForeignKeyNullableRelation[ResidenceDeclaration] = fields.ForeignKeyField(
        "juzhu.ResidenceDeclaration", related_name="ended_registrations", null=True, on_delete=fields.RESTRICT
    )
    # At most one active registration per person, enforced by a unique index on SQLite and PostgreSQL
    # alike: the person's id while active, NULL once ended (NULLs never collide). save() keeps it in
    # step, so change end_date through save(), never QuerySet.update() or bulk_create().
    # Why not a partial unique index: Tortoise 1.1.9 migrates UniqueConstraint(condition=...) on
    # PostgreSQL only, and silently drops Meta.constraints of a new model (tortoise-orm#2272).
    active_person_id = fields.IntField(null=True, unique=True)

    class Meta:
        table = "registrations"
        # Eligibility reads a person's registrations in date order (12 continuous months).
        indexes = [Index(fields=("person_id", "start_date"), name="idx_registrations_person")]

    async def save(self, *args: Any, **kwargs: Any) -> None:
        self.active_person_id = self.person_id if self.end_date is None else None  # type: ignore[attr-defined]
        include_in_partial_save(kwargs, "active_person_id")
        await super().save(*args, **kwargs)
