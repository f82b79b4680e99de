"""Social-insurance registries (社保): where the months a person paid for come from.

DOMAIN §4 Decision: the default registry is a table administrators import from the registry's CSV
(web/models/insurance.py). A city with an online registry adds an adapter here and a setting to
choose it (as SMS_BACKEND chooses the SMS gateway); until then there is nothing to choose.
"""

from __future__ import annotations

from datetime import date
from typing import Protocol

from web.models import InsuranceMonth
from web.settings import Settings


class InsuranceRegistry(Protocol):
    async def months(self, id_number: str) -> set[date]:
        """The months paid for the person with this ID number, each as the first day of its month."""


class TableInsuranceRegistry:
    """Reads the imported InsuranceMonth rows: one query, served by the (id_number, month) index."""

    async def months(self, id_number: str) -> set[date]:
        rows = await InsuranceMonth.filter(id_number=id_number).values_list("month", flat=True)
        # The import stores first days already; normalising keeps the rules safe from a stray day.
        return {month.replace(day=1) for month in rows}


def get_insurance_registry(settings: Settings) -> InsuranceRegistry:
    """The registry the service reads: only the imported table for now, whatever the settings."""
    del settings  # kept in the signature so that a second registry needs no change at the callers
    return TableInsuranceRegistry()
