"""Shared fixtures of the subsidy tests (no tests here): a 凤山 world with a laborer working
outside the county, a public-welfare post holder, an adaptive trainee, a startup with a
loan, a recognised workshop employing a laborer, and the users of the workflow."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from fupin.accounts.services import create_user
from fupin.employment import services as es
from fupin.employment.models import (
    Employer,
    Enrollment,
    Loan,
    Placement,
    PublicWelfarePost,
    Startup,
    TrainingClass,
    Workshop,
)
from fupin.subsidies.models import Policy
from tests.conftest import FENGSHAN, FENGSHAN_VILLAGE, FURONG_VILLAGE, PASSWORD, new_id

D = datetime.date
TODAY = datetime.date.today()
YEAR = str(TODAY.year)
MONTH = f"{TODAY.year}-{TODAY.month:02d}"
ACCOUNT = "6217003760012345678"


def born(years: int) -> datetime.date:
    return D(TODAY.year - years, 3, 15)


def person_in(household_factory: Any, name: str, village: str = FENGSHAN_VILLAGE, **kw: Any):
    household = household_factory(
        village,
        members=[
            {
                "relation": "son",
                "name": name,
                "id_number": new_id(born(kw.pop("age", 35))),
                "labor_ability": kw.pop("labor", "ordinary"),
            }
        ],
        **kw,
    )
    return household.members.get(name=name)


def employ(person: Any, **data: Any) -> Any:
    values = {
        "status": "employed",
        "form": "company",
        "location_tier": "out_of_province",
        "monthly_income": 4500,
        **data,
    }
    return es.record_employment(
        acting_user=None, person=person, data=values, valid_from=D(TODAY.year, 1, 2)
    )


@pytest.fixture
def reviewer(db: Any) -> Any:
    """A second 凤山 operator: reviews what the first one made (maker–checker)."""
    return create_user(
        acting_user=None,
        username="fengshan_reviewer",
        role="township_operator",
        region_code=FENGSHAN,
        password=PASSWORD,
    )


@pytest.fixture
def world(household_factory: Any) -> dict[str, Any]:
    migrant = person_in(household_factory, "外出甲")
    employ(migrant)
    employer = Employer.objects.create(
        credit_code="91500156MA0000001X", name="鑫源服饰", region_id=FENGSHAN_VILLAGE, trade="C"
    )
    quiet = Employer.objects.create(
        credit_code="91500156MA0000002X", name="无人公司", region_id=FENGSHAN_VILLAGE, trade="C"
    )
    local = person_in(household_factory, "本地乙")
    employ(local, location_tier="in_township", employer_id=employer.pk)
    idle = person_in(household_factory, "未就业丙")
    furong = person_in(household_factory, "芙蓉丁", village=FURONG_VILLAGE)
    employ(furong)
    workshop = Workshop.objects.create(
        name="鑫源扶贫车间",
        employer=employer,
        region_id=FENGSHAN_VILLAGE,
        recognized_on=D(2019, 5, 1),
        document_number="武人社发〔2019〕12号",
    )
    revoked = Workshop.objects.create(
        name="已撤销车间",
        employer=quiet,
        region_id=FENGSHAN_VILLAGE,
        recognized_on=D(2019, 5, 1),
        revoked_on=D(2020, 1, 1),
        document_number="武人社发〔2019〕13号",
    )
    worker = person_in(household_factory, "车间戊")
    employ(worker, form="workshop", location_tier="in_township", workshop_id=workshop.pk)
    post = PublicWelfarePost.objects.create(
        title="村道保洁",
        post_type="cleaning",
        unit="凤山村委会",
        region_id=FENGSHAN_VILLAGE,
        monthly_pay=Decimal(792),
        funding="district",
        developed_on=D(2020, 1, 1),
    )
    holder = person_in(household_factory, "保洁己", age=64)
    Placement.objects.create(post=post, person=holder, start=D(2021, 1, 1))
    adaptive = TrainingClass.objects.create(
        name="适应性培训",
        training_type="adaptive",
        provider="职教中心",
        region_id=FENGSHAN_VILLAGE,
        start=D(TODAY.year, 1, 3),
        end=D(TODAY.year, 1, 10),
    )
    trainee = person_in(household_factory, "学员庚")
    Enrollment.objects.create(training=adaptive, person=trainee, completed=True)
    dropout = person_in(household_factory, "学员辛")
    Enrollment.objects.create(training=adaptive, person=dropout, completed=False)
    founder = person_in(household_factory, "创业壬")
    startup = Startup.objects.create(
        person=founder, business_name="农家乐", started_on=D(2021, 4, 1), trade="H"
    )
    Loan.objects.create(
        startup=startup, bank="农商行", amount=Decimal(150000), granted_on=D(2021, 5, 1),
        status="granted",
    )  # fmt: skip
    farmer = person_in(household_factory, "农户癸", household_type="ordinary_farmer")
    employ(farmer)
    return {
        "migrant": migrant, "local": local, "idle": idle, "furong": furong,
        "employer": employer, "quiet": quiet, "workshop": workshop, "revoked": revoked,
        "worker": worker, "holder": holder,
        "trainee": trainee, "dropout": dropout, "founder": founder, "farmer": farmer,
    }  # fmt: skip


def policy(code: str) -> Policy:
    return Policy.objects.get(code=code)


def client(user: Any) -> Client:
    browser = Client()
    if user is not None:
        browser.force_login(user)
    return browser


def api(user: Any) -> APIClient:
    caller = APIClient()
    if user is not None:
        caller.force_authenticate(user)
    return caller
