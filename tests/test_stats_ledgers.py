"""Every statistic equals the row count or a column total of the ledger it summarises
(fupin/ledgers/definitions.py), for the same region, date and user (issue 4)."""

from __future__ import annotations

import pytest

from fupin.ledgers import definitions as ledgers
from fupin.stats.figures import figures
from tests.conftest import FENGSHAN, FENGSHAN_VILLAGE, FURONG, WULONG
from tests.test_stats import AS_OF, PAST, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    return build_world()


def rows(ledger_id: str, code: str, day, user) -> int:
    return ledgers.get(ledger_id).queryset(code, day, user).count()


def total(ledger_id: str, header: str, code: str, day, user) -> int:
    return int(ledgers.get(ledger_id).summary(code, day, user)["totals"][header])


@pytest.mark.parametrize("code", [WULONG, FENGSHAN, FURONG, FENGSHAN_VILLAGE])
@pytest.mark.parametrize("day", [AS_OF, PAST])
def test_each_figure_is_its_ledger(world, county_admin, code, day):
    data = figures(code, day, county_admin)
    user = county_admin
    checks = {
        "laborers": rows("laborers", code, day, user),
        "served": total("laborers", "本年已服务", code, day, user),
        "transferred": rows("transferred", code, day, user),
        "workshops": rows("workshops", code, day, user),
        "workshop_laborers": total("workshops", "吸纳贫困劳动力（人）", code, day, user),
        "public_welfare_posts": rows("public_welfare", code, day, user),
        "public_welfare_on_post": total("public_welfare", "在岗", code, day, user),
        "startup_loans": total("startups", "本年放款（笔）", code, day, user),
        "startup_loan_amount": total("startups", "本年放款金额（元）", code, day, user),
        "training_enrollments": rows("training", code, day, user),
        "unemployed_with_needs": rows("unemployed", code, day, user),
        "export_batches": rows("labor_export", code, day, user),
        "export_workers": total("labor_export", "建档立卡人员（人）", code, day, user),
    }
    assert {key: data[key] for key in checks} == checks
    # 就近就地就业 is the transferred in the township or elsewhere in the county.
    tiers = data["transferred_by_tier"]
    assert tiers["in_township"] + tiers["in_county"] == rows("local", code, day, user)


def test_nonzero_fixture(world, county_admin):
    """The comparison above is not vacuous: the fixture fills every ledger it checks."""
    data = figures(WULONG, AS_OF, county_admin)
    for key in (
        "laborers",
        "served",
        "transferred",
        "workshops",
        "workshop_laborers",
        "public_welfare_posts",
        "public_welfare_on_post",
        "startup_loans",
        "startup_loan_amount",
        "training_enrollments",
        "unemployed_with_needs",
        "export_batches",
        "export_workers",
    ):
        assert data[key] > 0, key


def test_township_operator_sees_the_same_as_the_ledgers(world, township_operator):
    data = figures(None, AS_OF, township_operator)
    assert data["laborers"] == rows("laborers", FENGSHAN, AS_OF, township_operator)
    assert data["transferred"] == rows("transferred", FENGSHAN, AS_OF, township_operator)
    assert data["export_workers"] == total(
        "labor_export", "建档立卡人员（人）", FENGSHAN, AS_OF, township_operator
    )
