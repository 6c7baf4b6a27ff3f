# ruff: noqa: F811 (fixtures imported from the support module)
"""Exactly once under concurrency: many threads approve one claim, batch one claim, create
the same claim, or approve against the last of the budget — each in its own connection and
transaction. (On SQLite the database lock serialises them; on PostgreSQL the row locks and
the partial unique index do.)"""

from __future__ import annotations

import importlib
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import OperationalError, connection, connections

from fupin.regions.loader import bundled_files, load_files
from fupin.subsidies import payments as pay
from fupin.subsidies import services as s
from fupin.subsidies.models import Application, Payment, Policy
from tests.test_subsidies_support import (  # noqa: F401, I001
    ACCOUNT,
    YEAR,
    employ,
    person_in,
    policy,
    reviewer,
    world,
)

THREADS = 6
transactional = pytest.mark.usefixtures("tx")


def reference_data() -> None:
    """The regions (loaded once per session) and the seeded policies, if a flush took them."""
    from fupin.regions.models import Region

    if not Region.objects.filter(code="500156001201").exists():
        load_files(bundled_files())
    importlib.import_module("fupin.subsidies.migrations.0002_seed_policies").seed(django_apps, None)


@pytest.fixture(scope="module", autouse=True)
def restore_after_module(django_db_blocker: Any) -> Any:
    """Transactional tests end with a flush (regions and policies too): restore them for
    the test modules that follow."""
    yield
    with django_db_blocker.unblock():
        reference_data()


@pytest.fixture
def tx(transactional_db: Any) -> None:
    reference_data()


def race(n: int, work: Callable[[int], Any]) -> list[Any]:
    """Run `work(i)` in n threads released together; results or the raised exceptions.

    The in-memory SQLite test database is shared-cache, where a second writer gets "table
    is locked" at once instead of waiting (the busy timeout of the real file database does
    not apply): a thread then retries its whole transaction, as it would have waited."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait()
            for _ in range(400):
                try:
                    results[i] = work(i)
                    break
                except OperationalError as exc:
                    if connection.vendor != "sqlite" or "locked" not in str(exc):
                        raise
                    time.sleep(0.01)
        except Exception as exc:  # noqa: BLE001 — collected for the assertions
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def refused(results: list[Any]) -> list[Any]:
    unexpected = [
        r
        for r in results
        if isinstance(r, Exception) and not isinstance(r, (ValidationError, PermissionDenied))
    ]
    assert not unexpected, unexpected
    return [r for r in results if isinstance(r, Exception)]


def reviewed(who: Any, maker: Any, checker: Any, code: str = "transport") -> Application:
    chosen = policy(code)
    data: dict[str, Any] = {"bank_account": ACCOUNT}
    if chosen.standard_kind == "actual_capped":  # 据实: a receipt at the cap
        data["actual_cost"] = chosen.cap
    app = s.create_application(
        acting_user=maker, policy=chosen, beneficiary=who, period=YEAR, data=data
    )
    s.submit(acting_user=maker, application=app)
    return s.review(acting_user=checker, application=app)


@pytest.mark.django_db(transaction=True)
@transactional
def test_concurrent_approvals_and_batches_pay_once(
    world, township_operator, reviewer, county_admin
):
    app = reviewed(world["migrant"], township_operator, reviewer)
    results = race(THREADS, lambda i: s.approve(acting_user=county_admin, application=app))
    assert len(refused(results)) == THREADS - 1
    app.refresh_from_db()
    assert app.status == "approved"
    assert s.committed(policy("transport"), app.budget_year) == app.amount
    batches = race(
        THREADS, lambda i: pay.create_batch(acting_user=county_admin, applications=[app])
    )
    assert len(refused(batches)) == THREADS - 1
    assert Payment.objects.filter(application=app).count() == 1


@pytest.mark.django_db(transaction=True)
@transactional
def test_concurrent_creation_gives_one_claim(world, township_operator):
    def create(i: int) -> Application:
        return s.create_application(
            acting_user=township_operator,
            policy=policy("transport"),
            beneficiary=world["migrant"],
            period=YEAR,
        )

    results = race(THREADS, create)
    errors = refused(results)
    assert len(errors) == THREADS - 1
    assert all("只能享受一次" in str(e) for e in errors)
    assert Application.objects.filter(person=world["migrant"]).count() == 1


@pytest.mark.django_db(transaction=True)
@transactional
def test_budget_not_overspent_under_concurrency(
    household_factory, township_operator, reviewer, county_admin
):
    Policy.objects.filter(code="transport").update(yearly_budget=Decimal(1000))
    people = [person_in(household_factory, f"外出{i}") for i in range(4)]
    for p in people:
        employ(p)
    claims = [reviewed(p, township_operator, reviewer) for p in people]
    results = race(
        len(claims), lambda i: s.approve(acting_user=county_admin, application=claims[i])
    )
    errors = refused(results)
    assert len(errors) == 2 and all("预算" in str(e) for e in errors)
    assert s.committed(policy("transport"), int(YEAR)) == Decimal(1000)
    assert connection.vendor in ("sqlite", "postgresql")


@pytest.mark.django_db(transaction=True)
@transactional
def test_concurrent_retries_with_one_idempotency_key(world, township_operator):
    from rest_framework.test import APIClient

    body = {"policy": policy("transport").pk, "person": world["migrant"].pk, "period": YEAR}

    def post(i: int) -> Any:
        caller = APIClient()
        caller.force_authenticate(township_operator)
        response = caller.post(
            "/api/subsidy-applications/", body, format="json", HTTP_IDEMPOTENCY_KEY="same"
        )
        return response.status_code, response.json()

    results = race(THREADS, post)
    assert not refused(results)
    assert {code for code, _ in results} == {201}
    assert len({data["id"] for _, data in results}) == 1
    assert Application.objects.count() == 1
