"""Shared fixtures: the bundled Chongqing regions (loaded once per test database), one user
per role in Wulong (500156) and a few outside it, and a household factory."""

from __future__ import annotations

import datetime
import itertools
from typing import Any

import pytest

from fupin.accounts.services import create_user
from fupin.regions.loader import bundled_files, load_files
from fupin.registry.idnumbers import make_id_number
from fupin.registry.services import register_household

PASSWORD = "Fupin@2026x"
WULONG = "500156"
FENGSHAN = "500156001"  # 凤山街道
FENGSHAN_VILLAGE = "500156001201"  # 凤山村
FENGSHAN_OTHER_VILLAGE = "500156001202"  # 黄渡村
FURONG = "500156002"  # 芙蓉街道
FURONG_VILLAGE = "500156002201"  # 三坪村
NANCHUAN = "500119"
NANCHUAN_VILLAGE = "500119001001"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> None:
    with django_db_blocker.unblock():
        load_files(bundled_files())


def _user(username: str, role: str, region: str) -> Any:
    return create_user(
        acting_user=None, username=username, role=role, region_code=region, password=PASSWORD
    )


@pytest.fixture
def county_admin(db: Any) -> Any:
    return _user("county_admin", "county_admin", WULONG)


@pytest.fixture
def township_operator(db: Any) -> Any:
    return _user("fengshan_operator", "township_operator", FENGSHAN)


@pytest.fixture
def other_township_operator(db: Any) -> Any:
    return _user("furong_operator", "township_operator", FURONG)


@pytest.fixture
def village_clerk(db: Any) -> Any:
    return _user("fengshan_clerk", "village_clerk", FENGSHAN_VILLAGE)


@pytest.fixture
def supervisor(db: Any) -> Any:
    return _user("supervisor", "supervisor", WULONG)


@pytest.fixture
def leader(db: Any) -> Any:
    return _user("leader", "leader", WULONG)


@pytest.fixture
def outside_admin(db: Any) -> Any:
    """A county admin of another district (南川区)."""
    return _user("nanchuan_admin", "county_admin", NANCHUAN)


_sequence = itertools.count(1)


def new_id(birth: datetime.date = datetime.date(1980, 5, 17), address: str = WULONG) -> str:
    return make_id_number(address, birth, next(_sequence) % 1000)


def make_household(
    village: str = FENGSHAN_VILLAGE,
    *,
    number: str | None = None,
    head_name: str = "赵淑碧",
    members: list[dict[str, Any]] | None = None,
    **fields: Any,
) -> Any:
    """A household registered through the service, as the system (no acting user)."""
    seq = next(_sequence)
    household = {
        "number": number or f"{village}{seq:04d}",
        "village_id": village,
        "household_type": "ordinary_poor",
        "status": "exited",
        "identified_year": 2014,
        "exit_year": 2019,
        "main_cause": "illness",
        **fields,
    }
    people = [
        {"relation": "head", "name": head_name, "id_number": new_id(), "labor_ability": "ordinary"},
        *(members or []),
    ]
    return register_household(acting_user=None, household=household, members=people)


@pytest.fixture
def household_factory(db: Any) -> Any:
    return make_household
