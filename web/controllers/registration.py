"""The residence registration platform (居住登记): houses, links and declarations of residents.

URLs:
  GET  /registration                                the platform's menu
  GET  /registration/houses, POST                   my houses (landlords) and linking a house
  GET  /registration/finder                         htmx: the house finder after a choice
  GET  /registration/finder/search                  htmx: houses matching the search box
  GET  /registration/declare/{declarant}/{kind}     a declaration form; POST shows the answers to
                                                    check (核对信息), POST with confirm=1 submits
  POST /registration/declare/{declarant}/{kind}/occupants   htmx: add or remove a person's row
  GET  /registration/declarations                   my declarations
  GET  /registration/declarations/{id}              one declaration (the confirmation after submitting)

Every form is a plain POST. Without JavaScript the finder's "Show the choices" button and the
occupant rows' buttons post the whole form back and the page comes back with every value kept; htmx
swaps only the finder or the rows. ID numbers travel only in POST bodies, never in URLs.
Reading the posted forms (values, occupant rows) lives in registration_forms.py, the words in
registration_messages.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_200_OK, HTTP_400_BAD_REQUEST

from web import i18n
from web.guards import requires_platform
from web.i18n import gettext as _
from web.controllers.registration_forms import (
    apply_row_action,
    form_values,
    occupants_from,
    remove_row,
    row_count,
)
from web.controllers.registration_messages import (
    DECLARANT_LABELS,
    KIND_TITLES,
    error_messages,
    link_error_message,
    status_label,
)
from web.models import Account, DeclarantKind, DeclarationKind, IdType, Person
from web.services import declarations, drafts, houses, rules
from web.services.declarations import (
    MOVE_OUT_FIELDS,
    OCCUPANT_FIELDS,
    DeclarationError,
    DeclarationInput,
    DeclarationRefused,
)
from web.services.identity import mask_id_number

RESIDENT = {"access": "resident"}
DECLARANTS = {"landlord": DeclarantKind.LANDLORD, "own-home": DeclarantKind.SELF, "assisted": DeclarantKind.ASSISTED}
KINDS = {"move-in": DeclarationKind.MOVE_IN, "change": DeclarationKind.CHANGE, "move-out": DeclarationKind.MOVE_OUT}
FINDER_FIELDS = ("district", "street", "building", "house_code", "house_search", "address_detail")
NOTICE_KEY = "registration_notice"  # a one-time message for the next page
SUBMITTED_KEY = "declaration_submitted"  # the id of the declaration just submitted
DRAFT_KIND = "declaration"  # the checked form, holding the one-time submit token
# Fields the check page does not carry back: its own buttons and token, and the CSRF field.
NOT_CARRIED = frozenset({"confirm", "edit", "submit_token", "_csrf_token"})


# --- code lists in the visitor's language ----------------------------------------------------------


def options(entries: tuple[rules.Label, ...]) -> list[tuple[str, str]]:
    return i18n.code_options(entries)


def code_lists() -> dict[str, list[tuple[str, str]]]:
    return {
        "id_types": options(rules.ID_DOCUMENT_TYPES),
        "hukou_types": options(rules.HUKOU_ADDRESS_TYPES),
        "occupations": options(rules.OCCUPATIONS),
        "reasons": options(rules.REASONS),
    }


def label_of(entries: tuple[rules.Label, ...], code: object) -> str:
    return dict(options(entries)).get(str(code or ""), "")


# --- the house finder --------------------------------------------------------------------------------


async def build_finder(values: Mapping[str, str]) -> houses.Finder:
    """The finder for posted or query values; a search result's "Choose" button (finder_pick) wins."""
    pick = values.get("finder_pick", "")
    return await houses.find(
        district="" if pick else values.get("district", ""),
        street="" if pick else values.get("street", ""),
        building="" if pick else values.get("building", ""),
        house_code=pick or values.get("house_code", ""),
        search=values.get("house_search", ""),
        english=i18n.current_locale() == "en",
    )


def finder_context(finder: houses.Finder, values: Mapping[str, str], *, allow_manual: bool) -> dict[str, Any]:
    return {
        "finder": finder,
        "allow_manual": allow_manual,
        "address_detail": values.get("address_detail", ""),
        # A code that found no house is shown back as typed, beside its error.
        "typed_house_code": "" if finder.house else values.get("house_code", ""),
    }


def is_refresh(values: Mapping[str, str]) -> bool:
    """A no-JavaScript post of the finder's or the rows' buttons: show the form again, submit nothing."""
    return "finder" in values or "finder_pick" in values or "occupants_action" in values


def _notice(request: Request) -> str | None:
    session = request.scope.get("session")
    return session.pop(NOTICE_KEY, None) if isinstance(session, dict) else None


def _set(request: Request, key: str, value: object) -> None:
    session = request.scope.get("session")
    if not isinstance(session, dict):
        session = {}
        request.set_session(session)
    session[key] = value


class RegistrationController(Controller):
    path = "/registration"
    guards = [requires_platform("registration")]

    @get("/", opt=RESIDENT, name="registration:home")
    async def show_home(self, request: Request) -> Template:
        return Template("registration/home.html", context={})

    # --- houses and links -------------------------------------------------------------------------

    @get("/houses", opt=RESIDENT)
    async def list_houses(self, request: Request) -> Template:
        values = form_values(request.query_params)
        return await self._houses_page(request, values, {}, notice=_notice(request))

    @post("/houses", opt=RESIDENT)
    async def link_house(self, request: Request) -> Template | Redirect:
        values = form_values(await request.form())
        if is_refresh(values):
            return await self._houses_page(request, values, {})
        account: Account = request.state.account
        try:
            link = await declarations.link_house(account, values.get("house_code", ""))
        except DeclarationError as error:
            field = error.field or "house_code"
            return await self._houses_page(
                request, values, {field: link_error_message(error.reason)}, status=HTTP_400_BAD_REQUEST
            )
        house = await link.house
        notice = _("You asked to link %(address)s. Staff of its street will review it.") % {"address": house.address}
        _set(request, NOTICE_KEY, notice)
        return Redirect(path="/registration/houses", status_code=303)

    async def _houses_page(
        self, request: Request, values: Mapping[str, str], errors: dict[str, str], *,
        notice: str | None = None, status: int = HTTP_200_OK,
    ) -> Template:
        account: Account = request.state.account
        links = await declarations.my_house_links(account.id)
        finder = await build_finder(values)
        context = {
            "links": links, "errors": errors, "notice": notice, "status_label": status_label,
            **finder_context(finder, values, allow_manual=False),
        }  # fmt: skip
        return Template("registration/houses.html", context=context, status_code=status)

    @get("/finder", opt=RESIDENT)
    async def show_finder(self, request: Request) -> Template:
        values = form_values(request.query_params)
        finder = await build_finder(values)
        allow_manual = values.get("finder_manual") == "1"
        return Template(
            "registration/_house_finder_steps.html",
            context={**finder_context(finder, values, allow_manual=allow_manual), "errors": {}},
        )

    @get("/finder/search", opt=RESIDENT)
    async def search_houses(self, request: Request) -> Template:
        text = form_values(request.query_params).get("house_search", "")
        results = await houses.search_houses(text)
        finder = houses.Finder(search=text, results=results, searched=len(text.strip()) >= houses.SEARCH_MIN_LENGTH)
        manual = request.query_params.get("finder_manual") == "1"
        return Template("registration/_house_results.html", context={"finder": finder, "allow_manual": manual})

    # --- declarations ------------------------------------------------------------------------------

    @get("/declare/{declarant:str}/{kind:str}", opt=RESIDENT)
    async def show_declaration_form(self, request: Request, declarant: FromPath[str], kind: FromPath[str]) -> Template:
        self._check_slugs(declarant, kind)
        values = {key: value for key, value in form_values(request.query_params).items() if key in FINDER_FIELDS}
        if DECLARANTS[declarant] in (DeclarantKind.SELF, DeclarantKind.ASSISTED):
            values.update(await self._own_row(request.state.account))
        # Three rows for browsers without JavaScript; htmx removes the empty ones once the page loads.
        return await self._declaration_page(
            request, declarant, kind, values, rows=rules.MAX_OCCUPANTS_PER_DECLARATION, compact=True
        )

    @post("/declare/{declarant:str}/{kind:str}", opt=RESIDENT)
    async def submit_declaration(self, request: Request, declarant: FromPath[str], kind: FromPath[str]) -> Template | Redirect:
        self._check_slugs(declarant, kind)
        values = form_values(await request.form())
        rows = row_count(values)
        if is_refresh(values):
            values, rows = apply_row_action(values, rows, values.get("occupants_action", ""))
            return await self._declaration_page(request, declarant, kind, values, rows=max(rows, 1))
        if values.get("edit"):  # 【修改】 on the check page: the form again, everything kept
            return await self._declaration_page(request, declarant, kind, values, rows=max(rows, 1))
        data = DeclarationInput(
            kind=KINDS[kind],
            declarant_kind=DECLARANTS[declarant],
            event_date=values.get("event_date", ""),
            house_code=values.get("house_code", ""),
            district=values.get("district", ""),
            street=values.get("street", ""),
            address_detail=values.get("address_detail", ""),
            occupants=occupants_from(values, rows),
        )
        account: Account = request.state.account
        today = await request.app.state.clock.today()
        try:
            if values.get("confirm") != "1":
                preview = await declarations.check_declaration(account, data, today=today)
                return await self._check_page(request, declarant, kind, values, data, preview)
            if not await drafts.take_token(account.id, DRAFT_KIND, values.get("submit_token", "")):
                # A double click or a resubmitted page: the first submission already stored it.
                _set(request, NOTICE_KEY, _("This declaration has already been submitted: find it below. "
                                            "If it is not there, declare again."))
                return Redirect(path="/registration/declarations", status_code=303)
            declaration = await declarations.submit_declaration(account, data, today=today)
        except DeclarationError as error:
            problems = error.errors if isinstance(error, DeclarationRefused) else [error]
            errors = error_messages(problems)
            return await self._declaration_page(
                request, declarant, kind, values, rows=max(rows, 1), errors=errors, status=HTTP_400_BAD_REQUEST
            )
        await drafts.discard(account.id, DRAFT_KIND)
        _set(request, SUBMITTED_KEY, declaration.id)
        return Redirect(path=f"/registration/declarations/{declaration.id}", status_code=303)

    async def _check_page(
        self, request: Request, declarant: str, kind: str, values: Mapping[str, str],
        data: DeclarationInput, preview: declarations.DeclarationPreview,
    ) -> Template:
        """核对信息: every answer once more, and a one-time token so the declaration is stored once."""
        account: Account = request.state.account
        token = await drafts.save_with_new_token(account.id, DRAFT_KIND, dict(values))
        people = [
            {
                "name": occupant.name,
                "id_type": label_of(rules.ID_DOCUMENT_TYPES, occupant.id_type),
                "id_number": mask_id_number(occupant.id_number.strip().upper()),
                "hukou_type": label_of(rules.HUKOU_ADDRESS_TYPES, occupant.hukou_address_type),
                "hukou_address": occupant.hukou_address,
                "occupation": label_of(rules.OCCUPATIONS, occupant.occupation),
                "workplace": occupant.workplace,
                "reason": label_of(rules.REASONS, occupant.reason),
                "head_of_household": occupant.head_of_household,
                "relation": occupant.relation,
                "emergency_phone": occupant.emergency_phone,
            }
            for occupant in data.occupants if not occupant.is_blank()
        ]
        return Template("registration/check.html", context={
            "action_url": f"/registration/declare/{declarant}/{kind}",
            "title": KIND_TITLES[KINDS[kind]](),
            "caption": DECLARANT_LABELS[DECLARANTS[declarant]](),
            "preview": preview, "people": people, "move_out": KINDS[kind] == DeclarationKind.MOVE_OUT,
            "hidden": {key: value for key, value in values.items() if key not in NOT_CARRIED},
            "submit_token": token,
        })  # fmt: skip

    @post("/declare/{declarant:str}/{kind:str}/occupants", opt=RESIDENT)
    async def change_occupants(self, request: Request, declarant: FromPath[str], kind: FromPath[str]) -> Template:
        """htmx: the rows after "Add another person", "Remove" or the page's first load ("compact")."""
        self._check_slugs(declarant, kind)
        values = form_values(await request.form())
        rows = row_count(values)
        action = values.get("occupants_action", "")
        if action == "compact":
            # Drop the empty rows the no-JavaScript page carries, keeping at least one.
            filled = [o.row for o in occupants_from(values, rows) if not o.is_blank()]
            for row in sorted(set(range(1, rows + 1)) - set(filled), reverse=True):
                if rows > 1:
                    values, rows = remove_row(values, row, rows), rows - 1
        else:
            values, rows = apply_row_action(values, rows, action)
        context = self._form_context(declarant, kind, values, rows=max(rows, 1), errors={})
        return Template("registration/_occupants.html", context=context)

    @get("/declarations", opt=RESIDENT)
    async def list_declarations(self, request: Request) -> Template:
        account: Account = request.state.account
        summaries = await declarations.my_declarations(account.id)
        return Template("registration/declarations.html", context={
            "summaries": summaries, "status_label": status_label, "kind_title": KIND_TITLES,
            "notice": _notice(request),
        })  # fmt: skip

    @get("/declarations/{declaration_id:int}", opt=RESIDENT)
    async def show_declaration(self, request: Request, declaration_id: FromPath[int]) -> Template:
        account: Account = request.state.account
        summary = await declarations.my_declaration(account.id, declaration_id)
        if summary is None:
            raise NotFoundException()  # another account's declaration: as if it did not exist
        session = request.scope.get("session")
        just_submitted = isinstance(session, dict) and session.pop(SUBMITTED_KEY, None) == declaration_id
        occupants = await declarations.occupants_of(declaration_id)
        people = [
            {
                "name": occupant.person.name,
                "id_type": label_of(rules.ID_DOCUMENT_TYPES, occupant.person.id_type),
                "id_number": mask_id_number(occupant.person.id_number),
                "occupation": label_of(rules.OCCUPATIONS, occupant.occupation),
                "reason": label_of(rules.REASONS, occupant.reason_code),
            }
            for occupant in occupants
        ]
        return Template("registration/declaration.html", context={
            "summary": summary, "people": people, "just_submitted": just_submitted,
            "status_label": status_label, "kind_title": KIND_TITLES, "declarant_label": DECLARANT_LABELS,
        })  # fmt: skip

    # --- helpers -----------------------------------------------------------------------------------

    @staticmethod
    def _check_slugs(declarant: str, kind: str) -> None:
        if declarant not in DECLARANTS or kind not in KINDS:
            raise NotFoundException()

    @staticmethod
    async def _own_row(account: Account) -> dict[str, str]:
        """An own-home or assisted declaration starts with the declarant as its first person."""
        if account.person_id is None:  # type: ignore[attr-defined]
            return {}
        person = await Person.get_or_none(id=account.person_id)  # type: ignore[attr-defined]
        if person is None:
            return {}
        return {"name_1": person.name, "id_type_1": str(person.id_type), "id_number_1": person.id_number}

    def _form_context(
        self, declarant: str, kind: str, values: Mapping[str, str], *, rows: int, errors: dict[str, str]
    ) -> dict[str, Any]:
        declaration_kind = KINDS[kind]
        return {
            "declarant": declarant,
            "kind": kind,
            "declaration_kind": declaration_kind.value,
            "action_url": f"/registration/declare/{declarant}/{kind}",
            "form": values,
            "errors": errors,
            "rows": rows,
            "max_rows": rules.MAX_OCCUPANTS_PER_DECLARATION,
            "row_fields": MOVE_OUT_FIELDS if declaration_kind == DeclarationKind.MOVE_OUT else OCCUPANT_FIELDS,
            "default_id_type": IdType.RESIDENT_ID.value,
            **code_lists(),
        }

    async def _declaration_page(
        self, request: Request, declarant: str, kind: str, values: Mapping[str, str], *, rows: int,
        errors: dict[str, str] | None = None, status: int = HTTP_200_OK, compact: bool = False,
    ) -> Template:
        errors = errors or {}
        finder = await build_finder(values)
        allow_manual = DECLARANTS[declarant] != DeclarantKind.LANDLORD
        today = await request.app.state.clock.today()
        context = {
            **self._form_context(declarant, kind, values, rows=rows, errors=errors),
            **finder_context(finder, values, allow_manual=allow_manual),
            "title": KIND_TITLES[KINDS[kind]](),
            "caption": DECLARANT_LABELS[DECLARANTS[declarant]](),
            "today": today,
            "compact": compact,
        }
        return Template("registration/declare.html", context=context, status_code=status)
