"""Tortoise models of the whole domain; each topic in its own module, all exported here."""

from web.models.accounts import Account, DeviceToken, Draft, LoginEvent, Role
from web.models.audit import AuditEntry
from web.models.housing import (
    DeclarantKind,
    DeclarationKind,
    DeclarationOccupant,
    DeclarationStatus,
    House,
    HouseKind,
    HouseLink,
    Registration,
    ResidenceDeclaration,
    Review,
)
from web.models.insurance import InsuranceMonth
from web.models.messaging import SmsCode, SmsOutbox, SystemMessage
from web.models.people import IdType, Person, Sex, Unit, UnitMember
from web.models.permits import (
    CLOSED_STATES,
    ApplicationEvent,
    ApplicationKind,
    ApplicationState,
    CoResident,
    Condition,
    Endorsement,
    EndorsementResult,
    Permit,
    PermitApplication,
    PermitStatus,
)
from web.models.places import AcceptancePoint, Street

__all__ = [
    "CLOSED_STATES",
    "AcceptancePoint",
    "Account",
    "ApplicationEvent",
    "ApplicationKind",
    "ApplicationState",
    "AuditEntry",
    "CoResident",
    "Condition",
    "DeclarantKind",
    "DeclarationKind",
    "DeclarationOccupant",
    "DeclarationStatus",
    "DeviceToken",
    "Draft",
    "Endorsement",
    "EndorsementResult",
    "House",
    "HouseKind",
    "HouseLink",
    "IdType",
    "InsuranceMonth",
    "LoginEvent",
    "Permit",
    "PermitApplication",
    "PermitStatus",
    "Person",
    "Registration",
    "ResidenceDeclaration",
    "Review",
    "Role",
    "Sex",
    "SmsCode",
    "SmsOutbox",
    "Street",
    "SystemMessage",
    "Unit",
    "UnitMember",
]
