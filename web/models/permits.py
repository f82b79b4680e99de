"""Residence permit applications (居住证申办), their history, permits and endorsements (签注)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from web.models.base import include_in_partial_save
from web.models.people import Sex


class ApplicationKind(StrEnum):
    FIRST = "first"  # 首次申领, free
    RENEWAL = "renewal"  # 换领: damaged card or changed data
    REPLACEMENT = "replacement"  # 补领: lost card
    REAPPLICATION = "reapplication"  # 再次申领: after cancellation
    EXCHANGE = "exchange"  # 旧证换新证, free


class Condition(StrEnum):
    """The permit condition chosen by the applicant (条例 Art. 19)."""

    RESIDENCE_AND_INSURANCE = "residence_and_insurance"  # 12 months registered + social insurance
    TALENT = "talent"  # 人才引进
    STUDENT = "student"  # 全日制就读


class ApplicationState(StrEnum):
    """DOMAIN §4: 草稿 → 已提交 → 已受理 → 审核中 → 审核通过 | 审核不通过 → [待缴费] → 制证中 → 待领证 → 已领证."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    UNDER_REVIEW = "under_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    PENDING_PAYMENT = "pending_payment"
    IN_PRODUCTION = "in_production"
    READY_FOR_COLLECTION = "ready_for_collection"
    COLLECTED = "collected"


# An application is open until it ends; a person may have one open application at a time.
CLOSED_STATES = (ApplicationState.REJECTED, ApplicationState.COLLECTED)


class PermitStatus(StrEnum):
    VALID = "valid"  # 正常: endorsement up to date
    SUSPENDED = "suspended"  # 中止: endorsement overdue
    CANCELLED = "cancelled"  # 注销: the person must re-apply (再次申领)


class EndorsementResult(StrEnum):
    GRANTED = "granted"
    PENDING = "pending"  # waiting for staff review: the registry data did not confirm the condition
    REJECTED = "rejected"


class PermitApplication(Model):
    """深圳经济特区居住证业务申请表: what the applicant declared, frozen at submission."""

    id = fields.IntField(primary_key=True)
    # 受理编号: given at submission; the public progress query looks it up.
    acceptance_number = fields.CharField(max_length=32, unique=True, null=True)
    person: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "juzhu.Person", related_name="applications", on_delete=fields.RESTRICT
    )
    submitted_by: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "juzhu.Account", related_name="applications", on_delete=fields.RESTRICT
    )
    unit: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "juzhu.Unit", related_name="applications", null=True, on_delete=fields.RESTRICT
    )
    kind = fields.CharEnumField(ApplicationKind, max_length=16)
    condition = fields.CharEnumField(Condition, max_length=32)
    state = fields.CharEnumField(
        ApplicationState, max_length=32, default=ApplicationState.DRAFT, db_default=ApplicationState.DRAFT
    )
    # Chosen on the form (the nearest one is suggested); null only while a draft has none yet.
    point: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "juzhu.AcceptancePoint", related_name="applications", null=True, on_delete=fields.RESTRICT
    )
    photo_number = fields.CharField(max_length=32, default="", db_default="")  # 数码相片图像号 / 回执号
    # Snapshot of the form as submitted: the profile may change later, the application must not.
    name = fields.CharField(max_length=64)
    sex = fields.CharEnumField(Sex, max_length=1)
    ethnicity = fields.CharField(max_length=2, default="", db_default="")
    birth_date = fields.DateField()
    id_number = fields.CharField(max_length=32)
    hukou_address = fields.CharField(max_length=255, default="", db_default="")
    residence_address = fields.CharField(max_length=255, default="", db_default="")
    house_code = fields.CharField(max_length=32, default="", db_default="")
    mobile = fields.CharField(max_length=11, default="", db_default="")
    education = fields.CharField(max_length=16, default="", db_default="")
    workplace = fields.CharField(max_length=128, default="", db_default="")
    # Names of the prefilled fields the applicant corrected, for the reviewer's attention.
    corrected_fields = fields.JSONField(default=list, db_default="[]")
    fee_yuan = fields.IntField(default=0, db_default=0)  # 工本费, rules.FEES_YUAN
    draft_token = fields.CharField(max_length=64, unique=True, null=True)
    submitted_at = fields.DatetimeField(null=True)
    accepted_at = fields.DatetimeField(null=True)
    due_date = fields.DateField(null=True)  # 15 or 10 working days from acceptance
    created_at = fields.DatetimeField(auto_now_add=True)
    # At most one open application per person, in the database: the person's id while open (unique),
    # NULL once rejected or collected. save() keeps it in step, so change state through save(), never
    # QuerySet.update() or bulk_create(). See Registration.active_person_id for why not a partial index.
    open_person_id = fields.IntField(null=True, unique=True)

    class Meta:
        table = "permit_applications"
        indexes = [
            # The staff queue: a point's applications in one state, oldest first, paged by
            # (submitted_at, id) so a deep page costs what the first one does.
            Index(fields=("point_id", "state", "submitted_at", "id"), name="idx_applications_queue"),
            # Past their time limit first: a point's applications by due date.
            Index(fields=("point_id", "due_date", "id"), name="idx_applications_due"),
            # Staff search by name.
            Index(fields=("point_id", "name"), name="idx_applications_point_name"),
            # A person's history, and the public progress query by name + ID number.
            Index(fields=("person_id",), name="idx_applications_person"),
            Index(fields=("id_number",), name="idx_applications_id_number"),
        ]

    async def save(self, *args: Any, **kwargs: Any) -> None:
        self.open_person_id = None if self.state in CLOSED_STATES else self.person_id  # type: ignore[attr-defined]
        include_in_partial_save(kwargs, "open_person_id")
        await super().save(*args, **kwargs)


class ApplicationEvent(Model):
    """One transition of an application: who, when, why (the 办证流程查询 timeline)."""

    id = fields.BigIntField(primary_key=True)
    application: fields.ForeignKeyRelation[PermitApplication] = fields.ForeignKeyField(
        "juzhu.PermitApplication", related_name="events", on_delete=fields.CASCADE
    )
    from_state = fields.CharEnumField(ApplicationState, max_length=32, null=True)  # null: created
    to_state = fields.CharEnumField(ApplicationState, max_length=32)
    action = fields.CharField(max_length=32)
    actor: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "juzhu.Account", related_name="application_events", null=True, on_delete=fields.SET_NULL
    )
    at = fields.DatetimeField(auto_now_add=True)
    reason = fields.TextField(default="", db_default="")

    class Meta:
        table = "application_events"
        indexes = [Index(fields=("application_id", "at"), name="idx_application_events_timeline")]


class CoResident(Model):
    """同住亲属 listed on the application."""

    id = fields.IntField(primary_key=True)
    application: fields.ForeignKeyRelation[PermitApplication] = fields.ForeignKeyField(
        "juzhu.PermitApplication", related_name="co_residents", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=64)
    relation = fields.CharField(max_length=32)
    id_number = fields.CharField(max_length=32)

    class Meta:
        table = "co_residents"
        indexes = [Index(fields=("application_id",), name="idx_co_residents_application")]


class Permit(Model):
    """A residence permit card (居住证) and its function state."""

    id = fields.IntField(primary_key=True)
    number = fields.CharField(max_length=32, unique=True)
    person: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "juzhu.Person", related_name="permits", on_delete=fields.RESTRICT
    )
    application: fields.ForeignKeyNullableRelation[PermitApplication] = fields.ForeignKeyField(
        "juzhu.PermitApplication", related_name="permits", null=True, on_delete=fields.RESTRICT
    )
    issued_on = fields.DateField()
    status = fields.CharEnumField(PermitStatus, max_length=16, default=PermitStatus.VALID, db_default=PermitStatus.VALID)
    # Full years, and so endorsement windows, count from here: the issue date, or the date of the
    # last late endorsement (补办签注), which restarts the count (DOMAIN §5).
    anchor_date = fields.DateField()
    suspended_on = fields.DateField(null=True)
    cancelled_on = fields.DateField(null=True)
    # At most one permit in force (valid or suspended) per person, in the database: the person's id
    # until cancelled, kept in step by save() (see Registration.active_person_id).
    current_person_id = fields.IntField(null=True, unique=True)

    class Meta:
        table = "permits"
        indexes = [Index(fields=("person_id",), name="idx_permits_person")]

    async def save(self, *args: Any, **kwargs: Any) -> None:
        cancelled = self.status == PermitStatus.CANCELLED
        self.current_person_id = None if cancelled else self.person_id  # type: ignore[attr-defined]
        include_in_partial_save(kwargs, "current_person_id")
        await super().save(*args, **kwargs)


class Endorsement(Model):
    """One yearly endorsement (签注) of a permit, online, at a point, or by a unit (单位签注)."""

    id = fields.IntField(primary_key=True)
    permit: fields.ForeignKeyRelation[Permit] = fields.ForeignKeyField(
        "juzhu.Permit", related_name="endorsements", on_delete=fields.RESTRICT
    )
    applied_at = fields.DatetimeField(auto_now_add=True)
    condition = fields.CharEnumField(Condition, max_length=32)
    result = fields.CharEnumField(
        EndorsementResult, max_length=16, default=EndorsementResult.PENDING, db_default=EndorsementResult.PENDING
    )
    decided_at = fields.DatetimeField(null=True)
    reason = fields.TextField(default="", db_default="")  # why staff rejected it
    next_due = fields.DateField(null=True)  # the next full year: shown in 签注管理
    is_late = fields.BooleanField(default=False, db_default=False)  # 补办签注
    applied_by: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "juzhu.Account", related_name="endorsements", on_delete=fields.RESTRICT
    )
    unit: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "juzhu.Unit", related_name="endorsements", null=True, on_delete=fields.RESTRICT
    )

    class Meta:
        table = "endorsements"
        indexes = [Index(fields=("permit_id", "applied_at"), name="idx_endorsements_permit")]
