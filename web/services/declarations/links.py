"""Landlords' links to the houses they let (reviewed by staff before the landlord may declare)."""

from __future__ import annotations

from datetime import datetime

from tortoise.exceptions import IntegrityError

from web.models import (
    Account,
    House,
    HouseLink,
    Review,
    Role,
)
from web.services import messages
from web.services.declarations.common import DeclarationError, house_by_code, normalize_house_code
from web.services.declarations.review import (
    HOUSE_LINK_APPROVED_BODY,
    HOUSE_LINK_APPROVED_TITLE,
    HOUSE_LINK_REJECTED_BODY,
    HOUSE_LINK_REJECTED_TITLE,
    check_reason,
    claim,
    in_default_language,
    load_point,
    point_reviews_street,
)


async def link_house(account: Account, house_code: str) -> HouseLink:
    """A landlord claims a house it lets: a pending link for staff of the house's street to review.

    A rejected link may be asked for again (the same row goes back to pending, its reason cleared).
    """
    if account.role != Role.RESIDENT:
        raise DeclarationError("declarant_not_allowed")
    code = normalize_house_code(house_code)
    if not code:
        raise DeclarationError("house_required", "house_code")
    house = await house_by_code(code)
    if house is None:
        raise DeclarationError("house_unknown", "house_code")
    link = await HouseLink.get_or_none(account_id=account.id, house_id=house.id)
    if link is None:
        try:
            return await HouseLink.create(account=account, house=house)
        except IntegrityError:  # the same request twice at once
            raise DeclarationError("already_linked", "house_code") from None
    if link.status != Review.REJECTED:
        raise DeclarationError("already_linked", "house_code")
    link.status, link.reason, link.reviewed_by, link.reviewed_at = Review.PENDING, "", None, None
    await link.save(update_fields=["status", "reason", "reviewed_by_id", "reviewed_at"])
    return link


async def my_house_links(account_id: int) -> list[HouseLink]:
    """The landlord's links with their houses and streets, newest first: one query."""
    return await HouseLink.filter(account_id=account_id).select_related("house", "house__street").order_by("-id")


async def approved_houses(account_id: int) -> list[House]:
    """The houses the landlord may declare for: one query."""
    return await House.filter(links__account_id=account_id, links__status=Review.APPROVED).order_by("house_code")


async def _pending_link(link_id: int, staff: Account) -> HouseLink:
    await load_point(staff)
    link = await HouseLink.get_or_none(id=link_id).select_related("house")
    if link is None:
        raise DeclarationError("not_found")
    if not point_reviews_street(staff, link.house.street_id):  # type: ignore[attr-defined]
        raise DeclarationError("wrong_point")
    if link.status != Review.PENDING:
        raise DeclarationError("not_pending")
    return link


async def approve_house_link(link_id: int, *, staff: Account, now: datetime) -> HouseLink:
    """The landlord may now declare for the house; the landlord gets a system message."""
    link = await _pending_link(link_id, staff)
    await claim(HouseLink, link.id, Review.PENDING, status=Review.APPROVED, reviewed_by_id=staff.id, reviewed_at=now)
    await link.refresh_from_db()
    await messages.notify(
        link.account_id,  # type: ignore[attr-defined]
        in_default_language(HOUSE_LINK_APPROVED_TITLE),
        in_default_language(HOUSE_LINK_APPROVED_BODY) % {"address": link.house.address},
    )
    return link


async def reject_house_link(link_id: int, *, staff: Account, reason: str, now: datetime) -> HouseLink:
    reason = check_reason(reason)
    link = await _pending_link(link_id, staff)
    await claim(
        HouseLink, link.id, Review.PENDING,
        status=Review.REJECTED, reason=reason, reviewed_by_id=staff.id, reviewed_at=now,
    )  # fmt: skip
    await link.refresh_from_db()
    await messages.notify(
        link.account_id,  # type: ignore[attr-defined]
        in_default_language(HOUSE_LINK_REJECTED_TITLE),
        in_default_language(HOUSE_LINK_REJECTED_BODY) % {"address": link.house.address, "reason": reason},
    )
    return link
