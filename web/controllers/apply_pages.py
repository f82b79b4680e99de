"""What each page of the application wizard shows, in the visitor's language (web/controllers/apply.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import Request

from web import i18n
from web.adapters.photos import PhotoRegistry
from web.i18n import gettext as _
from web.models import ApplicationKind, Condition
from web.services import applications, rules
from web.services.applications import Applicant, ApplyDraft, FamilyRow
from web.services.eligibility import INSURANCE_MONTHS, NO_REGISTRATION, REGISTRATION_MONTHS, Eligibility
from web.services.identity import mask_id_number
from web.services.nearest_points import PointSuggestion, RankedPoint, allowed
from web.services.validators import EARLIEST_BIRTH_DATE

# Step names in URLs ("photo" is taken by the photo itself).
SLUGS = {
    "condition": "condition",
    "personal": "personal-details",
    "photo": "photo-number",
    "family": "family",
    "point": "acceptance-point",
    "check": "check",
}
STEP_BY_SLUG = {slug: step for step, slug in SLUGS.items()}
RETURN_TO_CHECK = "check"  # ?return=check: a step opened from 核对信息 returns there once saved
PHOTO_URL = "/apply/photo"
ELIGIBILITY_URL = "/permit/eligibility"
FAMILY_ROWS_URL = "/apply/family/rows"
POINTS_URL = "/apply/points"


def step_url(step: str, return_to: str = "") -> str:
    url = f"/apply/{SLUGS[step]}"
    return f"{url}?return={RETURN_TO_CHECK}" if return_to == RETURN_TO_CHECK and step != "check" else url


def condition_hint(condition: str) -> str:
    return {
        Condition.RESIDENCE_AND_INSURANCE: _(
            "You have been registered as living in Shenzhen for %(months)s continuous months, and have paid Shenzhen social insurance for %(consecutive)s consecutive months or for %(total)s months within the last %(window)s."
        ) % {"months": rules.REGISTRATION_MONTHS_REQUIRED, "consecutive": rules.INSURANCE_CONSECUTIVE_MONTHS,
             "total": rules.INSURANCE_TOTAL_MONTHS, "window": rules.INSURANCE_WINDOW_MONTHS},
        Condition.TALENT: _(
            "You came to Shenzhen through talent introduction: a full-time college degree or higher, a senior worker certificate or higher, a returned overseas student or a high-level talent. You need a valid residence registration."
        ),
        Condition.STUDENT: _("You study full time at a school in Shenzhen. You need a valid residence registration."),
    }[Condition(condition)]


def missing_text(reason: str) -> str:
    return {
        NO_REGISTRATION: _("no residence registration covers today"),
        REGISTRATION_MONTHS: _("fewer than %(months)s months of continuous residence registration") % {
            "months": rules.REGISTRATION_MONTHS_REQUIRED},
        INSURANCE_MONTHS: _("not enough months of social insurance"),
    }.get(reason, reason)


def condition_options(eligibility: Eligibility) -> list[dict[str, Any]]:
    """Each condition with its explanation and what the eligibility query says about it."""
    labels = dict(i18n.code_options(rules.PERMIT_CONDITIONS))
    return [
        {
            "code": check.condition.value,
            "label": labels[check.condition.value],
            "hint": condition_hint(check.condition),
            "met": check.met,
            "qualifies_on": check.qualifies_on,
            "missing": [missing_text(reason) for reason in check.missing],
        }
        for check in eligibility.checks
    ]


def family_context(rows: list[FamilyRow]) -> dict[str, Any]:
    return {
        "rows": rows,
        "max_rows": rules.MAX_CO_RESIDENTS,
        "relations": i18n.code_options(rules.FAMILY_RELATIONS),
        "rows_url": FAMILY_ROWS_URL,
    }


def point_context(draft: ApplyDraft, suggestion: PointSuggestion, origin: tuple[float, float] | None) -> dict[str, Any]:
    """The district's points nearest first; the nearest marked 推荐 and chosen unless the applicant
    chose another (the browser's position, when sent, decides which is nearest)."""
    nearest = suggestion.nearest
    chosen = draft.answers.get("acceptance_point", "")
    if origin is not None or not allowed(suggestion, chosen):
        chosen = nearest.code if nearest else ""
    english = i18n.current_locale() == "en"
    return {
        "points": suggestion.ranked,
        "recommended": nearest.code if nearest else "",
        "chosen": chosen,
        "district_name": suggestion.district_en if english else suggestion.district,
        "by_position": origin is not None,
        "points_url": POINTS_URL,
    }


def chosen_point(suggestion: PointSuggestion, code: str) -> RankedPoint | None:
    return next((point for point in suggestion.ranked if point.code == code), None)


async def step_context(
    request: Request, who: Applicant, draft: ApplyDraft, step: str, *, family: list[FamilyRow] | None,
    suggestion: PointSuggestion | None, origin: tuple[float, float] | None, photos: PhotoRegistry,
) -> dict[str, Any]:
    """The values only `step` needs."""
    if step == "condition":
        return {"conditions": condition_options(who.eligibility), "eligibility_url": ELIGIBILITY_URL}
    if step == "personal":
        return await _personal_context(request, who)
    if step == "photo":
        shown = "photo" in draft.done and await photos.lookup(draft.answers.get("photo_number", "")) is not None
        return {"photo_url": PHOTO_URL if shown else None}
    if step == "family":
        return family_context(family if family is not None else list(draft.family))
    if step == "point":
        assert suggestion is not None
        return point_context(draft, suggestion, origin)
    assert suggestion is not None
    return await _check_context(who, draft, suggestion)


async def _personal_context(request: Request, who: Applicant) -> dict[str, Any]:
    locked = applications.locked_fields(who.account, who.person)
    return {
        "locked": locked,
        "masked_id_number": mask_id_number(who.person.id_number),
        "sex_options": [("M", _("Male")), ("F", _("Female"))],
        "ethnicities": i18n.code_options(rules.ETHNICITIES),
        "educations": i18n.code_options(rules.EDUCATION_LEVELS),
        "residence_address": who.registration.address,
        "house_code": await applications.house_code_of(who.registration),
        "today": await request.app.state.clock.today(),
        "earliest_birth_date": EARLIEST_BIRTH_DATE,
    }


async def _check_context(who: Applicant, draft: ApplyDraft, suggestion: PointSuggestion) -> dict[str, Any]:
    answers = draft.answers
    birth_date = date.fromisoformat(answers["birth_date"]) if answers.get("birth_date") else None
    return {
        "labels": {
            "condition": dict(i18n.code_options(rules.PERMIT_CONDITIONS)),
            "sex": {"M": _("Male"), "F": _("Female")},
            "ethnicity": dict(i18n.code_options(rules.ETHNICITIES)),
            "education": dict(i18n.code_options(rules.EDUCATION_LEVELS)),
            "relation": dict(i18n.code_options(rules.FAMILY_RELATIONS)),
        },
        "birth_date": birth_date,
        "residence_address": who.registration.address,
        "house_code": await applications.house_code_of(who.registration),
        "family": draft.family,
        "point": chosen_point(suggestion, answers.get("acceptance_point", "")),
        "photo_url": PHOTO_URL,
        "fee_yuan": rules.FEES_YUAN[ApplicationKind.FIRST],
        "working_days": rules.TIME_LIMIT_WORKING_DAYS[ApplicationKind.FIRST],
        "token": await applications.draft_token(who.account.id),
        "change_urls": {step: step_url(step, RETURN_TO_CHECK) for step in applications.ANSWER_STEPS},
    }
