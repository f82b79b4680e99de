"""Answering a step: its rules applied to what was typed, the draft updated and saved each time."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from web.adapters.photos import Photo, PhotoRegistry
from web.services.applications.common import ApplyDraft, FamilyRow, StepResult
from web.services.applications.prefill import Applicant, load_draft, save_draft
from web.services.applications.steps import (
    check_condition,
    check_family,
    check_personal,
    check_photo,
    check_point,
    locked_fields,
)
from web.services.nearest_points import suggest_points


async def answer_step(
    who: Applicant, draft: ApplyDraft, step: str, values: Mapping[str, str], *,
    family: Sequence[FamilyRow] = (), today: date, photos: PhotoRegistry,
) -> StepResult:
    """Check one step's form and keep what was typed in the (saved) draft, even with errors, so
    nothing typed is lost; the step counts as answered only when the result is ok.

    A new ID number in step 2 may be one a co-resident of step 4 has: step 4 then opens again.
    """
    if step == "condition":
        result = check_condition(values)
    elif step == "personal":
        result = await check_personal(values, person=who.person, locked=locked_fields(who.account, who.person),
                                      today=today)
    elif step == "photo":
        result = await check_photo(values, photos=photos)
    elif step == "family":
        result = check_family(family, applicant_id_number=draft.answers.get("id_number", ""), today=today)
    elif step == "point":
        result = check_point(values, suggestion=await suggest_points(who.street_code))
    else:
        raise ValueError(f"no answers in step {step!r}")
    draft.answers.update(result.answers)
    if result.family is not None:
        draft.family = list(result.family)
    if result.ok:
        draft.accept(step)
        if step == "personal" and "family" in draft.done:
            later = check_family(draft.family, applicant_id_number=draft.answers.get("id_number", ""), today=today)
            if not later.ok:
                draft.reopen("family", later.reasons)
    elif step in draft.done:
        draft.done.remove(step)
    await save_draft(who.account.id, draft)
    return result


async def keep_family_rows(who: Applicant, draft: ApplyDraft, rows: Sequence[FamilyRow]) -> None:
    """"Add" or "remove" changed the rows: keep them as typed; the step is answered again by 下一步."""
    draft.family = list(rows)
    if "family" in draft.done:
        draft.done.remove("family")
    await save_draft(who.account.id, draft)


async def photo_of_draft(account_id: int, photos: PhotoRegistry) -> Photo | None:
    """The photo of the number the account's draft holds, once step 3 accepted it; never the photo
    of a number the request names (a number in a URL would let anyone fetch anyone's photo)."""
    draft = await load_draft(account_id)
    if draft is None or "photo" not in draft.done or not draft.answers.get("photo_number"):
        return None
    return await photos.lookup(draft.answers["photo_number"])
