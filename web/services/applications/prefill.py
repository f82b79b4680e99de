"""Who may apply now, and the application form prefilled from the profile and the registration.

DOMAIN §4: the form is prefilled from the person's profile and current residence registration; the
user only adds or corrects. A person applies once a residence registration covers today, with no
other application open; unauthenticated accounts may only make a first application (DOMAIN §2).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from web.adapters.insurance import InsuranceRegistry
from web.models import (
    Account,
    ApplicationState,
    DeclarationOccupant,
    House,
    Permit,
    PermitApplication,
    Person,
    Registration,
)
from web.services import drafts
from web.services.applications.common import DRAFT_KIND, ApplicationRefused, ApplyDraft
from web.services.eligibility import Eligibility, eligibility_of


@dataclass(frozen=True)
class Applicant:
    """A person who may apply now: their profile, current registration and eligibility."""

    account: Account
    person: Person
    registration: Registration  # covers today; street loaded
    eligibility: Eligibility

    @property
    def street_code(self) -> str:
        return self.registration.street_id  # type: ignore[attr-defined,no-any-return]


async def open_application(person_id: int) -> PermitApplication | None:
    """The person's application still in progress (not rejected, not collected), if any."""
    return await PermitApplication.get_or_none(open_person_id=person_id)


async def is_first_application(person_id: int) -> bool:
    """首次申领: the person never held a permit nor collected one (a cancelled permit means 再次申领)."""
    if await Permit.exists(person_id=person_id):
        return False
    return not await PermitApplication.exists(person_id=person_id, state=ApplicationState.COLLECTED)


async def applicant(account: Account, *, today: date, insurance: InsuranceRegistry) -> Applicant:
    """The account's person, if they may start a first application today; else ApplicationRefused.

    Refusals, in this order: no_person (no profile yet), open_application (with the application:
    one open application per person), authentication_required / not_first (they had a permit:
    renewal and re-application need 实名认证 and are other services), no_registration (no residence
    registration covers today: 居住登记 first).
    """
    person_id = account.person_id  # type: ignore[attr-defined]
    person = await Person.get_or_none(id=person_id) if person_id else None
    if person is None:
        raise ApplicationRefused("no_person")
    if (application := await open_application(person.id)) is not None:
        raise ApplicationRefused("open_application", application)
    if not await is_first_application(person.id):
        # Unauthenticated accounts can only submit a first application (DOMAIN §2).
        raise ApplicationRefused("not_first" if account.real_name_verified_at else "authentication_required")
    eligibility = await eligibility_of(person.id, person.id_number, today=today, registry=insurance)
    if eligibility.registration is None:
        raise ApplicationRefused("no_registration")
    return Applicant(account=account, person=person, registration=eligibility.registration, eligibility=eligibility)


async def house_code_of(registration: Registration) -> str:
    """The registration's house code (房屋编码), "" for an address typed by hand."""
    house_id = registration.house_id  # type: ignore[attr-defined]
    if house_id is None:
        return ""
    codes = await House.filter(id=house_id).values_list("house_code", flat=True)
    return codes[0] if codes else ""


async def prefill(who: Applicant) -> dict[str, str]:
    """The form's personal fields as the records give them (empty where they know nothing).

    The profile first; what it lacks, the declaration that registered the person may know (the
    hukou address and workplace a landlord declared). The mobile falls back to the account's.
    """
    person, account = who.person, who.account
    declared = await DeclarationOccupant.get_or_none(
        declaration_id=who.registration.declaration_id,  # type: ignore[attr-defined]
        person_id=person.id,
    )
    return {
        "name": person.name,
        "sex": person.sex.value if person.sex else "",
        "ethnicity": person.ethnicity,
        "birth_date": person.birth_date.isoformat() if person.birth_date else "",
        "id_number": person.id_number,
        "hukou_address": person.hukou_address or (declared.hukou_address if declared else ""),
        "mobile": person.mobile or account.mobile,
        "education": person.education,
        "workplace": person.workplace or (declared.workplace if declared else ""),
    }


async def load_draft(account_id: int) -> ApplyDraft | None:
    raw = await drafts.load(account_id, DRAFT_KIND)
    return ApplyDraft.load(raw) if raw is not None else None


async def save_draft(account_id: int, draft: ApplyDraft) -> None:
    await drafts.save(account_id, DRAFT_KIND, draft.dump())


async def start_or_resume(who: Applicant) -> ApplyDraft:
    """The account's draft, or a new one prefilled from the records (saved at once, so another
    device resumes the same form)."""
    draft = await load_draft(who.account.id)
    if draft is not None:
        return draft
    values = await prefill(who)
    draft = ApplyDraft(answers=dict(values), prefill=dict(values))
    await save_draft(who.account.id, draft)
    return draft


async def discard_draft(account_id: int) -> None:
    """重新填写: forget every answer; the next visit starts from the records again."""
    await drafts.discard(account_id, DRAFT_KIND)
