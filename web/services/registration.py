"""Online registration of a personal account (DOMAIN §2): the rules of each step, and the account.

This module holds the wizard: the draft, its steps and the account they create. The rule for each
single value (name, date of birth, ID number, mobile, username, password...) lives in
web/services/validators.py, whether an account already uses it in web/services/account_lookup.py;
every check returns a reason code (None when the value is good), never a message: the controller
translates. A step's answers live in a server-side draft (`RegistrationDraft`) until the last step
creates the Person and the Account in one transaction.

The password never sits in the draft: once the credentials step validates, the draft keeps only its
argon2id hash, tied to the username and ID number it was checked against. The policy "must not
contain the username or the ID number" cannot be checked again on a hash, so changing either of
those afterwards asks for the password again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from web.models import Account, IdType, Person, Role
from web.services import passwords, sms
from web.services.account_lookup import id_number_reason, mobile_reason, username_reason
from web.services.validators import (
    check_account_type,
    check_agree,
    check_ethnicity,
    check_hukou_address,
    check_id_number,
    check_mobile,
    check_name,
    check_password,
    check_password_confirm,
    check_sex,
    check_sms_code,
    check_username,
    clip,
    normalize_hukou_address,
    normalize_name,
    normalize_username,
    parse_birth_date,
    text,
)

# The steps, in order, and the form fields of each (CONTRACT.md names; account_type is ours).
STEPS = ("account_type", "basic", "identity", "credentials", "agreement")
STEP_FIELDS: dict[str, tuple[str, ...]] = {
    "account_type": ("account_type",),
    "basic": ("name", "sex", "ethnicity", "birth_date"),
    "identity": ("id_number", "hukou_address", "mobile", "sms_code"),
    "credentials": ("username", "password", "password_confirm"),
    "agreement": ("agree",),
}
FIELD_STEP = {name: step for step, names in STEP_FIELDS.items() for name in names}
# Fields never kept in the draft nor shown back: secrets, and the one-time code.
SECRET_FIELDS = frozenset({"password", "password_confirm", "sms_code"})
# Spends an SMS code sent to a mobile (sms.verify_code with purpose "register"), or raises sms.CodeRejected.
CodeVerifier = Callable[[str, str], Awaitable[None]]


class StepInvalid(Exception):
    """The stored answers of `step` no longer hold (an earlier change, or someone registered first)."""

    def __init__(self, step: str, reasons: dict[str, str]) -> None:
        super().__init__(step)
        self.step = step
        self.reasons = reasons


@dataclass
class StepResult:
    """What a step's form gave: normalized answers to keep, and the reason code of each problem."""

    answers: dict[str, str]
    reasons: dict[str, str] = field(default_factory=dict)  # field -> reason code, in form order

    @property
    def ok(self) -> bool:
        return not self.reasons


@dataclass
class RegistrationDraft:
    """The registration so far, kept in the visitor's (server-side) session between steps."""

    answers: dict[str, str] = field(default_factory=dict)
    done: list[str] = field(default_factory=list)  # steps whose answers were accepted
    password_hash: str | None = None
    password_for: list[str] | None = None  # [username, id_number] the password was checked against
    verified_mobile: str | None = None  # the number an SMS code proved, so going back needs no new code
    stale: dict[str, dict[str, str]] = field(default_factory=dict)  # step -> reasons found later

    @classmethod
    def load(cls, raw: object) -> RegistrationDraft:
        """The draft from the session; anything unexpected there starts a fresh one."""
        if not isinstance(raw, dict):
            return cls()
        answers = raw.get("answers")
        done = raw.get("done")
        stale = raw.get("stale")
        password_for = raw.get("password_for")
        return cls(
            answers={k: v for k, v in answers.items() if isinstance(v, str)} if isinstance(answers, dict) else {},
            done=[step for step in STEPS if isinstance(done, list) and step in done],
            password_hash=raw.get("password_hash") if isinstance(raw.get("password_hash"), str) else None,
            password_for=password_for if isinstance(password_for, list) else None,
            verified_mobile=raw.get("verified_mobile") if isinstance(raw.get("verified_mobile"), str) else None,
            stale={k: v for k, v in stale.items() if k in STEPS and isinstance(v, dict)}
            if isinstance(stale, dict) else {},
        )

    def dump(self) -> dict[str, Any]:
        return {
            "answers": self.answers,
            "done": self.done,
            "password_hash": self.password_hash,
            "password_for": self.password_for,
            "verified_mobile": self.verified_mobile,
            "stale": self.stale,
        }

    def current_step(self) -> str:
        """The first step not yet accepted: where the visitor continues."""
        return next((step for step in STEPS if step not in self.done), STEPS[-1])

    def can_open(self, step: str) -> bool:
        """A step opens once every step before it is accepted (no skipping ahead)."""
        return all(earlier in self.done for earlier in STEPS[: STEPS.index(step)])

    def reopen(self, step: str, reasons: dict[str, str]) -> None:
        """A step accepted before fails now: the visitor answers it again, told why."""
        if step in self.done:
            self.done.remove(step)
        self.stale[step] = reasons

    def keep_typed(self, step: str, form: Mapping[str, Any]) -> None:
        """Remember what was typed in a step, even with errors, so going back loses nothing."""
        for name in STEP_FIELDS[step]:
            if name not in SECRET_FIELDS:
                self.answers[name] = clip(text(form, name))


# --- the steps ---------------------------------------------------------------------------------------


def _basic_facts(draft: RegistrationDraft, *, today: date) -> tuple[str | None, date | None]:
    """Sex and birth date from an accepted step 2, for the ID number to agree with."""
    if "basic" not in draft.done:
        return None, None
    birth_date, _ = parse_birth_date(draft.answers.get("birth_date", ""), today=today)
    sex = draft.answers.get("sex")
    return (sex if check_sex(sex or "") is None else None), birth_date


async def check_field(name: str, form: Mapping[str, Any], draft: RegistrationDraft, *, today: date) -> str | None:
    """The reason one field fails, for the inline check on change (the SMS code is checked on submit)."""
    value = text(form, name)
    if name == "name":
        return check_name(normalize_name(value))
    if name == "birth_date":
        return parse_birth_date(value, today=today)[1]
    if name == "id_number":
        sex, birth_date = _basic_facts(draft, today=today)
        number, reason = check_id_number(value, today=today, sex=sex, birth_date=birth_date)
        return reason or await id_number_reason(number, draft.answers.get("name", ""))
    if name == "hukou_address":
        return check_hukou_address(normalize_hukou_address(value))
    if name == "mobile":
        mobile, reason = check_mobile(value)
        return reason or await mobile_reason(mobile)
    if name == "username":
        username = normalize_username(value)
        return check_username(username) or await username_reason(username)
    if name == "password":
        return check_password(
            value, username=normalize_username(text(form, "username")),
            id_number=draft.answers.get("id_number", ""),
        )
    if name == "password_confirm":
        return check_password_confirm(text(form, "password"), value)
    raise ValueError(f"no inline check for {name!r}")


def _check_basic(form: Mapping[str, Any], *, today: date) -> StepResult:
    answers = {
        "name": normalize_name(text(form, "name")),
        "sex": clip(text(form, "sex")),
        "ethnicity": clip(text(form, "ethnicity")),
        "birth_date": clip(text(form, "birth_date")).strip(),
    }
    birth_date, birth_reason = parse_birth_date(answers["birth_date"], today=today)
    if birth_date:
        answers["birth_date"] = birth_date.isoformat()
    reasons = {
        "name": check_name(answers["name"]),
        "sex": check_sex(answers["sex"]),
        "ethnicity": check_ethnicity(answers["ethnicity"]),
        "birth_date": birth_reason,
    }
    return StepResult(answers, {k: v for k, v in reasons.items() if v})


async def _check_identity(
    form: Mapping[str, Any], draft: RegistrationDraft, *, today: date, verify_code: CodeVerifier | None = None
) -> StepResult:
    """Step 3. `verify_code(mobile, code)` spends an SMS code (raising sms.CodeRejected); without it
    (re-checking stored answers) the mobile must be the one a code already proved."""
    sex, birth_date = _basic_facts(draft, today=today)
    typed_number = text(form, "id_number")
    number, id_problem = check_id_number(typed_number, today=today, sex=sex, birth_date=birth_date)
    if id_problem is None:
        id_problem = await id_number_reason(number, draft.answers.get("name", ""))
    address = normalize_hukou_address(text(form, "hukou_address"))
    mobile, mobile_problem = check_mobile(text(form, "mobile"))
    if mobile_problem is None:
        mobile_problem = await mobile_reason(mobile)
    code_problem = None
    if mobile_problem is None and mobile != draft.verified_mobile:
        code, code_problem = check_sms_code(text(form, "sms_code"))
        if verify_code is None:
            code_problem = "missing"
        elif code_problem is None:
            try:
                await verify_code(mobile, code)
            except sms.CodeRejected as rejected:
                code_problem = rejected.reason
            else:
                # Proved even if other answers of the step are wrong: a code works once, so fixing
                # a typo in the ID number must not need a new text message.
                draft.verified_mobile = mobile
    reasons = {
        "id_number": id_problem,
        "hukou_address": check_hukou_address(address),
        "mobile": mobile_problem,
        "sms_code": code_problem,
    }
    answers = {"id_number": number if id_problem is None else clip(typed_number),
               "hukou_address": address, "mobile": mobile}
    return StepResult(answers, {k: v for k, v in reasons.items() if v})


async def _check_credentials(form: Mapping[str, Any], draft: RegistrationDraft) -> StepResult:
    username = normalize_username(text(form, "username"))
    password = text(form, "password")
    reasons = {
        "username": check_username(username) or await username_reason(username),
        "password": check_password(password, username=username, id_number=draft.answers.get("id_number", "")),
        "password_confirm": check_password_confirm(password, text(form, "password_confirm")),
    }
    return StepResult({"username": username}, {k: v for k, v in reasons.items() if v})


async def _recheck(step: str, draft: RegistrationDraft, *, today: date) -> dict[str, str]:
    """The reasons the stored answers of an accepted step fail now (empty: they still hold)."""
    answers = draft.answers
    if step == "account_type":
        reason = check_account_type(answers.get("account_type", ""))
        return {"account_type": reason} if reason else {}
    if step == "basic":
        return _check_basic(answers, today=today).reasons
    if step == "identity":
        return (await _check_identity(answers, draft, today=today)).reasons
    if step == "credentials":
        username = answers.get("username", "")
        reasons: dict[str, str] = {}
        if reason := check_username(username) or await username_reason(username):
            reasons["username"] = reason
        if draft.password_hash is None or draft.password_for != [username, answers.get("id_number", "")]:
            reasons["password"] = "reenter"
        return reasons
    return {}


async def submit_step(
    draft: RegistrationDraft, step: str, form: Mapping[str, Any], *, today: date,
    verify_code: CodeVerifier | None = None,
) -> StepResult:
    """Check a step's form and keep its answers in the draft; accepted when the result is ok.

    Accepting a step checks the later accepted steps again: a new date of birth may no longer agree
    with the ID number, a new ID number needs the password again. Those steps become open again
    with their reasons kept in `draft.stale`.
    """
    draft.keep_typed(step, form)
    if step == "account_type":
        account_type = clip(text(form, "account_type"))
        reason = check_account_type(account_type)
        result = StepResult({"account_type": account_type}, {"account_type": reason} if reason else {})
    elif step == "basic":
        result = _check_basic(form, today=today)
    elif step == "identity":
        result = await _check_identity(form, draft, today=today, verify_code=verify_code)
    elif step == "credentials":
        result = await _check_credentials(form, draft)
    else:
        raise ValueError(f"the {step!r} step is submitted with register()")
    draft.answers.update(result.answers)
    draft.stale.pop(step, None)
    if not result.ok:
        if step in draft.done:
            draft.done.remove(step)
        return result
    if step == "credentials":
        draft.password_hash = passwords.hash_password(text(form, "password"))
        draft.password_for = [result.answers["username"], draft.answers.get("id_number", "")]
    if step not in draft.done:
        draft.done.append(step)
        draft.done.sort(key=STEPS.index)
    for later in STEPS[STEPS.index(step) + 1 :]:
        if later in draft.done and (reasons := await _recheck(later, draft, today=today)):
            draft.reopen(later, reasons)
    return result


# --- the account -------------------------------------------------------------------------------------


async def register(draft: RegistrationDraft, form: Mapping[str, Any], *, today: date) -> Account:
    """The last step: with the agreement accepted, create the Person and the Account in one transaction.

    Raises StepInvalid for the agreement itself, or for an earlier step whose stored answers no
    longer hold (someone registered that username, ID number or mobile in the meantime).
    A second submission of the same draft (a double click, a second tab) creates nothing and
    returns the account the first one created.
    """
    if reason := check_agree(text(form, "agree")):
        raise StepInvalid("agreement", {"agree": reason})
    try:
        for step in STEPS[:-1]:
            if step not in draft.done:
                raise StepInvalid(step, {})
            if reasons := await _recheck(step, draft, today=today):
                raise StepInvalid(step, reasons)
        return await _create_account(draft)
    except (IntegrityError, StepInvalid) as refused:
        # Perhaps this very draft was registered already, by a double click or another tab, just
        # before or while this request checked it: then its username and ID number are "taken".
        if (existing := await _created_from(draft)) is not None:
            return existing
        if isinstance(refused, StepInvalid):
            raise
        if await Account.exists(username=draft.answers["username"]):
            raise StepInvalid("credentials", {"username": "taken"}) from None
        raise StepInvalid("identity", {"id_number": "taken"}) from None


async def _created_from(draft: RegistrationDraft) -> Account | None:
    """The account this very draft created: its password hash is unique (salted) to the draft."""
    if not draft.password_hash or not draft.answers.get("username"):
        return None
    return await Account.get_or_none(username=draft.answers["username"], password_hash=draft.password_hash)


async def _create_account(draft: RegistrationDraft) -> Account:
    answers = draft.answers
    assert draft.password_hash is not None
    birth_date = date.fromisoformat(answers["birth_date"])
    async with in_transaction():
        # Locked (PostgreSQL): two registrations of one person known without an account wait in turn,
        # and the second then finds the first one's account. SQLite runs one transaction at a time.
        person = (
            await Person.filter(id_type=IdType.RESIDENT_ID, id_number=answers["id_number"])
            .select_for_update()
            .first()
        )
        if person is None:
            person = await Person.create(
                id_type=IdType.RESIDENT_ID,
                id_number=answers["id_number"],
                name=answers["name"],
                sex=answers["sex"],
                ethnicity=answers["ethnicity"],
                birth_date=birth_date,
                hukou_address=answers["hukou_address"],
                mobile=answers["mobile"],
            )
        else:
            # Known already (a unit declared or applied for them): only with no account and the
            # same name. Fill what is missing; keep what is recorded, such as the mobile left in a
            # unit's application, which online real-name authentication sends its code to.
            if await Account.exists(person_id=person.id):
                raise StepInvalid("identity", {"id_number": "taken"})
            if person.name != answers["name"]:
                raise StepInvalid("identity", {"id_number": "name_mismatch"})
            filled = {
                "sex": answers["sex"], "ethnicity": answers["ethnicity"], "birth_date": birth_date,
                "hukou_address": answers["hukou_address"], "mobile": answers["mobile"],
            }
            missing = [name for name, value in filled.items() if not getattr(person, name)]
            for name in missing:
                setattr(person, name, filled[name])
            if missing:
                await person.save(update_fields=missing)
        # verified_mobile stays empty: the issue wants the first login to ask for an SMS code, even
        # though registering proved the number once.
        return await Account.create(
            username=answers["username"],
            password_hash=draft.password_hash,
            role=Role.RESIDENT,
            mobile=answers["mobile"],
            verified_mobile=None,
            person=person,
        )
