"""Who already has an account: whether a username, ID number or mobile number is still free."""

from __future__ import annotations

from web.models import Account, IdType, Person, Role

# Form fields whose check asks the database whether an account already uses the value.
LOOKUP_FIELDS = frozenset({"username", "id_number", "mobile"})
# Inline availability checks per network address (usernames, ID numbers and mobiles that already
# have an account): enough for people registering behind one router, too slow to enumerate.
LOOKUPS_PER_IP = 100
LOOKUP_WINDOW_SECONDS = 600


async def username_reason(username: str) -> str | None:
    """taken: any account (resident, staff, unit agent) already has this username."""
    return "taken" if await Account.exists(username=username) else None


async def id_number_reason(number: str, name: str) -> str | None:
    """taken: an account already belongs to this ID number; name_mismatch: a person with this ID
    number is known (a unit declared or applied for them) under another name."""
    person = await Person.get_or_none(id_type=IdType.RESIDENT_ID, id_number=number)
    if person is None:
        return None
    if await Account.exists(person_id=person.id):
        return "taken"
    if name and person.name != name:
        return "name_mismatch"
    return None


async def mobile_reason(mobile: str) -> str | None:
    """taken: one personal account per mobile number (staff and unit agents may keep theirs)."""
    return "taken" if await Account.exists(mobile=mobile, role=Role.RESIDENT) else None
