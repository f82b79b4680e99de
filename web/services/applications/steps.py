"""The rules of each step of the application form; every problem is a reason code beside its field.

The checks of values the registration and the profile also ask for are theirs (web/services/
validators.py, profile.py, identity.py): one rule per kind of value.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from datetime import date

from web.adapters.photos import PhotoRegistry
from web.models import Account, Condition, IdType, Person
from web.services import profile, rules, validators
from web.services.applications.common import (
    ANSWER_STEPS,
    FAMILY_FIELDS,
    PERSONAL_FIELDS,
    WORKPLACE_MAX_LENGTH,
    ApplyDraft,
    FamilyRow,
    StepResult,
    clip,
    family_field,
)
from web.services.identity import normalize_id_number
from web.services.nearest_points import PointSuggestion, allowed
from web.services.photos import normalise_photo_number, photo_number_error

CONDITIONS = frozenset(condition.value for condition in Condition)
EDUCATION_CODES = frozenset(entry.code for entry in rules.EDUCATION_LEVELS)
RELATION_CODES = frozenset(entry.code for entry in rules.FAMILY_RELATIONS)
DETAIL_FIELDS = profile.DETAIL_FIELDS  # name, sex, ethnicity, birth_date, id_number, hukou_address


def _squash(raw: str) -> str:
    return " ".join(clip(raw).split())


def _without_empty(reasons: Mapping[str, str | None]) -> dict[str, str]:
    return {name: reason for name, reason in reasons.items() if reason}


# --- 1 办理条件 ---------------------------------------------------------------------------------------


def check_condition(values: Mapping[str, str]) -> StepResult:
    condition = clip(values.get("condition", ""))
    reason = None if condition in CONDITIONS else "missing"
    return StepResult({"condition": condition}, _without_empty({"condition": reason}))


# --- 2 个人信息 ---------------------------------------------------------------------------------------


def locked_fields(account: Account, person: Person) -> frozenset[str]:
    """Fields taken from the records as they are: after 实名认证, name, ID number, sex and date of
    birth were checked at the counter (profile.LOCKED_AFTER_AUTHENTICATION). One the records lack
    stays open, or the form could never be completed."""
    stored = {"name": person.name, "id_number": person.id_number, "sex": person.sex, "birth_date": person.birth_date}
    return frozenset(name for name in profile.locked_fields(account) if stored.get(name))


async def check_personal(
    values: Mapping[str, str], *, person: Person, locked: frozenset[str], today: date
) -> StepResult:
    """Step 2. Codes: registration's for name, sex, ethnicity, birth_date, id_number (including
    sex_mismatch / birth_date_mismatch), hukou_address and mobile; id_number "taken" (another
    person's number); education "missing"; workplace "missing", "too_long", "characters"."""
    raw = {name: clip(values.get(name, "")) for name in PERSONAL_FIELDS}
    for name in locked:  # what the form sends for a locked field is not even read
        raw[name] = _stored(person, name)
    checked = profile.check_details(raw, editable=frozenset(DETAIL_FIELDS), id_type=IdType(person.id_type), today=today)
    reasons: dict[str, str | None] = dict(checked.errors)
    answers = {name: raw[name] for name in DETAIL_FIELDS}
    for name, value in checked.values.items():
        answers[name] = value.isoformat() if isinstance(value, date) else str(value)
    number = answers["id_number"]
    if "id_number" not in reasons and number != person.id_number and await Person.filter(
        id_type=person.id_type, id_number=number
    ).exclude(id=person.id).exists():
        reasons["id_number"] = "taken"  # someone else's number: the counter sorts it out, not the form
    mobile, reasons["mobile"] = validators.check_mobile(raw["mobile"])
    answers["mobile"] = mobile if reasons["mobile"] is None else raw["mobile"]
    answers["education"] = raw["education"]
    reasons["education"] = None if raw["education"] in EDUCATION_CODES else "missing"
    answers["workplace"] = _squash(raw["workplace"])
    reasons["workplace"] = check_workplace(answers["workplace"])
    return StepResult(answers, _without_empty({name: reasons.get(name) for name in PERSONAL_FIELDS}))


def _stored(person: Person, name: str) -> str:
    value = getattr(person, name)
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, date) else str(getattr(value, "value", value))


def check_workplace(workplace: str) -> str | None:
    """服务处所 or school: where the stable occupation or the studies are."""
    if not workplace:
        return "missing"
    if len(workplace) > WORKPLACE_MAX_LENGTH:
        return "too_long"
    if any(unicodedata.category(char)[0] == "C" for char in workplace):
        return "characters"
    return None


# --- 3 数码相片 ---------------------------------------------------------------------------------------


async def check_photo(values: Mapping[str, str], *, photos: PhotoRegistry) -> StepResult:
    """Codes: required, format (web/services/photos.py), not_found (the registry has no such photo)."""
    typed = clip(values.get("photo_number", ""))
    number = normalise_photo_number(typed)
    reason = photo_number_error(number)
    if reason is None and await photos.lookup(number) is None:
        reason = "not_found"
    return StepResult({"photo_number": number if reason is None else typed.strip()},
                      _without_empty({"photo_number": reason}))


# --- 4 同住亲属 ---------------------------------------------------------------------------------------


def family_rows(values: Mapping[str, Sequence[str]]) -> list[FamilyRow]:
    """The co-residents of a form with repeated family_name / family_relation / family_id_number.

    A browser sends the three fields of every row, so the n-th value of each belongs to row n; rows
    beyond what any form shows are cut, so a forged form cannot grow the draft without end.
    """
    columns = {name: [clip(value) for value in values.get(name, ())][: rules.MAX_CO_RESIDENTS + 5]
               for name in FAMILY_FIELDS}
    count = max((len(column) for column in columns.values()), default=0)

    def cell(name: str, index: int) -> str:
        column = columns[name]
        return column[index] if index < len(column) else ""

    return [
        FamilyRow(index + 1, *(cell(name, index) for name in FAMILY_FIELDS))
        for index in range(count)
    ]


def check_family(rows: Sequence[FamilyRow], *, applicant_id_number: str, today: date) -> StepResult:
    """Step 4: the filled rows (blank ones are ignored). Codes, keyed family_<field>-<row>: name as
    validators.check_name; relation "missing"; id_number "missing", "invalid" (GB 11643), "own"
    (the applicant's own number), "duplicate"; and "family" "too_many" (over rules.MAX_CO_RESIDENTS)."""
    filled = [row for row in rows if not row.is_blank()]
    reasons: dict[str, str | None] = {}
    if len(filled) > rules.MAX_CO_RESIDENTS:
        reasons["family"] = "too_many"
    kept: list[FamilyRow] = []
    seen: set[str] = set()
    own = normalize_id_number(applicant_id_number)
    for row in filled:
        name = validators.normalize_name(row.name)
        reasons[family_field("family_name", row.row)] = validators.check_name(name)
        relation = row.relation if row.relation in RELATION_CODES else ""
        reasons[family_field("family_relation", row.row)] = None if relation else "missing"
        number = normalize_id_number(row.id_number)
        if not number:
            reason: str | None = "missing"
        elif validators.check_id_number(number, today=today, sex=None, birth_date=None)[1]:
            reason = "invalid"
        elif number == own:
            reason = "own"
        elif number in seen:
            reason = "duplicate"
        else:
            reason = None
        seen.add(number)
        reasons[family_field("family_id_number", row.row)] = reason
        kept.append(FamilyRow(row.row, name, relation or row.relation, number or row.id_number))
    result = StepResult(family=kept, reasons=_without_empty(reasons))
    if result.ok:  # stored without the blank rows, numbered as they will be shown again
        result.family = [FamilyRow(index, row.name, row.relation, row.id_number) for index, row in enumerate(kept, 1)]
    else:  # shown back as typed, blank rows in their places
        result.family = list(rows)
    return result


# --- 5 受理点 -----------------------------------------------------------------------------------------


def check_point(values: Mapping[str, str], *, suggestion: PointSuggestion) -> StepResult:
    """Codes: missing, not_allowed (a point outside the registration's district: 属地原则)."""
    code = clip(values.get("acceptance_point", "")).strip()
    if not code:
        reason: str | None = "missing"
    else:
        reason = None if allowed(suggestion, code) else "not_allowed"
    return StepResult({"acceptance_point": code}, _without_empty({"acceptance_point": reason}))


# --- every step ---------------------------------------------------------------------------------------


async def recheck(
    draft: ApplyDraft, *, person: Person, locked: frozenset[str], today: date, photos: PhotoRegistry,
    suggestion: PointSuggestion,
) -> tuple[str, dict[str, str]] | None:
    """The first answer step whose stored answers fail now, with its reasons; None when all hold.

    Before the check page and the submission: since a step was accepted the registration may have
    moved to another district, the photo may have expired, step 2 may have taken a co-resident's
    number, and a step may never have been accepted at all.
    """
    answers = draft.answers
    for step in ANSWER_STEPS:
        if step not in draft.done:
            return step, draft.stale.get(step, {})
        if step == "condition":
            result = check_condition(answers)
        elif step == "personal":
            result = await check_personal(answers, person=person, locked=locked, today=today)
        elif step == "photo":
            result = await check_photo(answers, photos=photos)
        elif step == "family":
            result = check_family(draft.family, applicant_id_number=answers.get("id_number", ""), today=today)
        else:
            result = check_point(answers, suggestion=suggestion)
        if not result.ok:
            return step, result.reasons
    return None
