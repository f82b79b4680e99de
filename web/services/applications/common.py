"""What the parts of the application wizard share: its steps, fields, the draft, the error types."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from web.models import PermitApplication

# drafts.py kind of the wizard's server-side draft (one per account).
DRAFT_KIND = "permit_application"

# The steps in order; "check" (核对信息) asks nothing, it shows every answer before submitting.
STEPS = ("condition", "personal", "photo", "family", "point", "check")
ANSWER_STEPS = STEPS[:-1]
# Form fields of each step (CONTRACT.md names: condition, photo_number, acceptance_point, education,
# workplace; family_name / family_relation / family_id_number repeated once per co-resident).
PERSONAL_FIELDS = (
    "name", "sex", "ethnicity", "birth_date", "id_number", "hukou_address", "mobile", "education", "workplace",
)  # fmt: skip
STEP_FIELDS: dict[str, tuple[str, ...]] = {
    "condition": ("condition",),
    "personal": PERSONAL_FIELDS,
    "photo": ("photo_number",),
    "family": ("family_name", "family_relation", "family_id_number"),
    "point": ("acceptance_point",),
}
FAMILY_FIELDS = STEP_FIELDS["family"]
# The fields prefilled from the profile and the registration: a change of one of them is recorded
# in PermitApplication.corrected_fields for the reviewer.
PREFILLED_FIELDS = PERSONAL_FIELDS

# Longer input is cut before anything looks at it: nothing typed can fill the drafts table.
MAX_INPUT_LENGTH = 300
WORKPLACE_MAX_LENGTH = PermitApplication._meta.fields_map["workplace"].max_length  # type: ignore[attr-defined]


def clip(value: object) -> str:
    """A form value as text without NUL bytes (PostgreSQL refuses them), cut to a sane length."""
    return value[:MAX_INPUT_LENGTH].replace("\x00", "") if isinstance(value, str) else ""


def family_field(name: str, row: int) -> str:
    """The element id (and error key) of one co-resident's value: family_name-1, family_id_number-2 ..."""
    return f"{name}-{row}"


@dataclass(frozen=True)
class FamilyRow:
    """One co-resident (同住亲属) as typed; `row` (1-based) names its elements."""

    row: int
    name: str = ""
    relation: str = ""
    id_number: str = ""

    def is_blank(self) -> bool:
        return not (self.name.strip() or self.relation.strip() or self.id_number.strip())

    def dump(self) -> dict[str, str]:
        return {"name": self.name, "relation": self.relation, "id_number": self.id_number}


@dataclass
class StepResult:
    """What a step's form gave: the answers to keep (typed, or normalized when valid) and the reason
    code of each problem, keyed by element id in the order of the form."""

    answers: dict[str, str] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    family: list[FamilyRow] | None = None  # the family step's rows

    @property
    def ok(self) -> bool:
        return not self.reasons


@dataclass
class ApplyDraft:
    """The application so far, kept in the drafts table between steps and devices."""

    answers: dict[str, str] = field(default_factory=dict)
    family: list[FamilyRow] = field(default_factory=list)
    done: list[str] = field(default_factory=list)  # answer steps whose answers were accepted
    prefill: dict[str, str] = field(default_factory=dict)  # what the form showed before any change
    stale: dict[str, dict[str, str]] = field(default_factory=dict)  # step -> reasons found later

    @classmethod
    def load(cls, raw: object) -> ApplyDraft:
        """The draft from its stored JSON; anything unexpected there is left out."""
        if not isinstance(raw, dict):
            return cls()

        def strings(value: Any) -> dict[str, str]:
            return {str(k): v for k, v in value.items() if isinstance(v, str)} if isinstance(value, dict) else {}

        rows = raw.get("family") if isinstance(raw.get("family"), list) else []
        family = [
            FamilyRow(row=index, **{name: clip(row.get(name, "")) for name in ("name", "relation", "id_number")})
            for index, row in enumerate((row for row in rows if isinstance(row, dict)), start=1)
        ]
        done = raw.get("done") if isinstance(raw.get("done"), list) else []
        stale = raw.get("stale") if isinstance(raw.get("stale"), dict) else {}
        return cls(
            answers=strings(raw.get("answers")),
            family=family,
            done=[step for step in ANSWER_STEPS if step in done],
            prefill=strings(raw.get("prefill")),
            stale={step: strings(reasons) for step, reasons in stale.items() if step in ANSWER_STEPS},
        )

    def dump(self) -> dict[str, Any]:
        return {
            "answers": self.answers,
            "family": [row.dump() for row in self.family],
            "done": self.done,
            "prefill": self.prefill,
            "stale": self.stale,
        }

    def current_step(self) -> str:
        """The first step not yet accepted (the check page once all are): where the user continues."""
        return next((step for step in ANSWER_STEPS if step not in self.done), "check")

    def can_open(self, step: str) -> bool:
        """A step opens once every step before it is accepted: no skipping ahead."""
        return all(earlier in self.done for earlier in ANSWER_STEPS[: STEPS.index(step)])

    def accept(self, step: str) -> None:
        self.stale.pop(step, None)
        if step not in self.done:
            self.done.append(step)
            self.done.sort(key=STEPS.index)

    def reopen(self, step: str, reasons: dict[str, str]) -> None:
        """An accepted step fails now (the registration changed, a photo expired): answer it again."""
        if step in self.done:
            self.done.remove(step)
        self.stale[step] = dict(reasons)


class ApplicationRefused(Exception):
    """The person cannot apply (or submit) now; `reason` is a code, `application` the open one.

    Reasons: no_person, no_registration, open_application, authentication_required (a second
    application needs 实名认证, DOMAIN §2), not_first (renewal or re-application instead),
    token (a replayed or tampered submit token), no_draft.
    """

    def __init__(self, reason: str, application: PermitApplication | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.application = application


class StepInvalid(Exception):
    """At submission, the stored answers of `step` no longer hold; the draft has it reopened."""

    def __init__(self, step: str, reasons: dict[str, str]) -> None:
        super().__init__(step)
        self.step = step
        self.reasons = reasons
