"""Social-insurance registries (web/adapters/insurance.py): the imported table, by ID number."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from tests.support import count_queries
from web.adapters.insurance import TableInsuranceRegistry, get_insurance_registry
from web.models import InsuranceMonth
from web.settings import Settings

NUMBER = "430102199003070011"
OTHER = "450103199808080022"


async def test_the_table_gives_the_persons_months_in_one_query(db: None) -> None:
    await InsuranceMonth.bulk_create([
        InsuranceMonth(id_number=NUMBER, month=date(2026, 1, 1), insurer="深圳示范科技有限公司"),
        InsuranceMonth(id_number=NUMBER, month=date(2026, 2, 1)),
        InsuranceMonth(id_number=OTHER, month=date(2026, 2, 1)),
    ])  # fmt: skip

    with count_queries() as queries:
        months = await TableInsuranceRegistry().months(NUMBER)

    assert months == {date(2026, 1, 1), date(2026, 2, 1)}
    assert queries.count == 1, queries


async def test_an_unknown_number_has_no_months(db: None) -> None:
    assert await TableInsuranceRegistry().months("NOBODY") == set()


def test_the_settings_choose_the_table(tmp_path: Path) -> None:
    settings = Settings(app_env="test", secret_key="k", var_dir=tmp_path)
    assert isinstance(get_insurance_registry(settings), TableInsuranceRegistry)
