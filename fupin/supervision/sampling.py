"""Sampling (随机抽样): the populations, the draw and its verification.

The draw cannot be steered and can be checked: the system generates the seed
(`secrets`), each township's (or village stratum's) population is put in a fixed order
(village code, then primary key) and stored with the plan, and each group is drawn with
`random.Random(f"{seed}:{township}:{stratum}")`. Re-running the draw from the stored seed
and population gives the same sample; `verify_plan` does exactly that.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import math
import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model, Q, QuerySet
from django.utils import timezone

from fupin.core import audit
from fupin.core.dates import EARLIEST_AS_OF
from fupin.core.models import AuditLog
from fupin.core.services import check_jurisdiction, check_permission
from fupin.employment import choices as ec
from fupin.employment.models import EmploymentRecord, Placement
from fupin.employment.selectors import laborers, state_condition
from fupin.regions.models import Region
from fupin.registry.models import Household, Person
from fupin.subsidies import choices as sc
from fupin.subsidies.models import Application
from fupin.supervision import choices as c
from fupin.supervision.models import CallTask, SampleGroup, SampleItem, SamplingPlan


@dataclass(frozen=True)
class PopulationSpec:
    """Where a population's records come from and how to reach the person to call."""

    model: type[Model]
    village: str  # path to the record's village code
    household: str  # path to the household id
    person: str | None  # path to the person id (None: the household is called)
    rows: Callable[[datetime.date], QuerySet]


def _registered(as_of: datetime.date) -> Q:
    """The record's person still in the registry on the date (removal closes no record)."""
    return Q(person__removed_on__isnull=True) | Q(person__removed_on__gt=as_of)


def _placements(as_of: datetime.date) -> QuerySet:
    return (
        Placement.objects.filter(start__lte=as_of)
        .filter(Q(end__isnull=True) | Q(end__gt=as_of))
        .filter(_registered(as_of))
    )


def _workshop_employees(as_of: datetime.date) -> QuerySet:
    return EmploymentRecord.objects.filter(
        state_condition(as_of), status=ec.Status.EMPLOYED, workshop__isnull=False
    ).filter(_registered(as_of))


def _subsidy_payments(as_of: datetime.date) -> QuerySet:
    """Paid claims of persons, paid on or before the date (as `subsidies.selectors` counts
    payments). The claim's own region places it: the village it was filed and paid under.
    Claims of workshops and employers are not here: there is no household to call."""
    return Application.objects.filter(
        status=sc.Status.PAID, paid_on__lte=as_of, person__isnull=False
    )


POPULATIONS: dict[str, PopulationSpec] = {
    c.Population.LABORERS: PopulationSpec(
        Person, "household__village_id", "household_id", "id",
        laborers,
    ),
    c.Population.PLACEMENTS: PopulationSpec(
        Placement, "person__household__village_id", "person__household_id", "person_id",
        _placements,
    ),
    c.Population.WORKSHOP_EMPLOYEES: PopulationSpec(
        EmploymentRecord, "person__household__village_id", "person__household_id", "person_id",
        _workshop_employees,
    ),
    c.Population.HOUSEHOLDS: PopulationSpec(
        Household, "village_id", "id", None, lambda as_of: Household.objects.all()
    ),
    c.Population.SUBSIDY_PAYMENTS: PopulationSpec(
        Application, "region_id", "person__household_id", "person_id",
        _subsidy_payments,
    ),
}  # fmt: skip


def population_rows(
    population: str, user: Any, region_code: str, as_of: datetime.date
) -> list[tuple[int, str, int, int | None]]:
    """(record id, village code, household id, person id) in the fixed draw order, read
    through the one scoping rule (the system, user None, sees everything)."""
    spec = POPULATIONS[population]
    rows = spec.rows(as_of)
    rows = rows.for_user(user) if user is not None else rows
    fields = ["pk", spec.village, spec.household, spec.person or spec.household]
    values = rows.in_region(region_code).order_by(spec.village, "pk").values_list(*fields)
    return [(pk, v, h, p if spec.person else None) for pk, v, h, p in values]


def allocation(size: int, proportion: Decimal, minimum: int) -> int:
    """n = max(minimum, ⌈proportion × size⌉), never more than the group has."""
    return min(size, max(minimum, math.ceil(Decimal(proportion) * size)))


def group_key(row: tuple[int, str, int, int | None], strata: str) -> tuple[str, str]:
    village = row[1]
    return village[:9], village if strata == c.Strata.VILLAGE else ""


def draw_group(seed: str, township: str, stratum: str, ids: list[int], n: int) -> list[int]:
    """The drawn record ids, in draw order. Anyone can re-run this."""
    return random.Random(f"{seed}:{township}:{stratum}").sample(ids, n)


def digest(groups: list[tuple[str, str, list[int]]]) -> str:
    text = json.dumps(sorted(groups), separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


PROPORTION_STEP = Decimal("0.0001")  # SamplingPlan.proportion: 4 decimal places
MAX_MINIMUM = 2**31 - 1  # SamplingPlan.minimum: an integer column on PostgreSQL


def sample_digest(items: Any) -> str:
    """The drawn items as stored: group, order, record and whom the call reaches."""
    rows = [
        [i.group.township_id, i.group.stratum, i.order, i.content_type_id, i.object_id,
         i.household_id, i.person_id, i.region_id]
        for i in items
    ]  # fmt: skip
    return hashlib.sha256(json.dumps(sorted(rows), separators=(",", ":")).encode()).hexdigest()


def draw_entry(plan: SamplingPlan) -> AuditLog | None:
    """The audit entry written when the plan was drawn (the independent witness)."""
    return (
        AuditLog.objects.filter(
            action=AuditLog.Action.CREATE,
            object_type=SamplingPlan._meta.label_lower,
            object_id=str(plan.pk),
        )
        .order_by("at", "id")
        .first()
    )


def supervisors_for(region_code: str) -> list[Any]:
    """Active supervisors whose jurisdiction covers the region (the supervision group)."""
    users = get_user_model().objects.filter(role="supervisor", is_active=True).order_by("username")
    return [u for u in users if u.region_id and region_code.startswith(u.region_id)]


def validate_as_of(day: datetime.date) -> datetime.date:
    """A data date the population and ages can be read for: not before 1900 (ages count
    back from it), not after today (tomorrow's population is not data yet)."""
    today = timezone.localdate()
    if not EARLIEST_AS_OF <= day <= today:
        raise ValidationError(
            {"as_of": f"数据日期须在 {EARLIEST_AS_OF:%Y-%m-%d} 至今天（{today:%Y-%m-%d}）之间"}
        )
    return day


def _validate(population: str, region_code: str, proportion: Decimal, minimum: int) -> Region:
    if population not in POPULATIONS:
        raise ValidationError({"population": "请选择抽样对象"})
    region = Region.objects.filter(code=region_code).first()
    if region is None:
        raise ValidationError({"region": f"区划代码 {region_code} 不存在"})
    if region.level > Region.Level.TOWNSHIP:
        raise ValidationError({"region": "抽样范围应为区县或乡镇（街道）"})
    proportion = Decimal(proportion)
    if not proportion.is_finite() or not Decimal(0) < proportion <= Decimal(1):
        raise ValidationError({"proportion": "抽样比例须大于 0 且不超过 1（如 0.05 即 5%）"})
    if proportion != proportion.quantize(PROPORTION_STEP):
        # The plan keeps 4 decimal places: a finer value would be drawn with one proportion
        # and verified with another.
        raise ValidationError({"proportion": "抽样比例最多保留 4 位小数（如 0.0525 即 5.25%）"})
    if minimum < 0:
        raise ValidationError({"minimum": "最少抽取数不能为负数"})
    if minimum > MAX_MINIMUM:
        raise ValidationError({"minimum": f"每乡镇最少抽取数不能超过 {MAX_MINIMUM}"})
    return region


@transaction.atomic
def draw_sample(
    *,
    acting_user: Any,
    population: str,
    region_code: str,
    proportion: Decimal,
    minimum: int = 0,
    strata: str = "",
    as_of: datetime.date | None = None,
    assignee: Any = None,
    note: str = "",
) -> SamplingPlan:
    """Create a plan with a system seed and draw it at once (one transaction, audited)."""
    check_permission(acting_user, "supervision.add_samplingplan")
    proportion = Decimal(str(proportion))
    region = _validate(population, region_code, proportion, minimum)
    check_jurisdiction(acting_user, region.code)
    if strata not in c.Strata.values:
        raise ValidationError({"strata": "分层方式无效"})
    plan = SamplingPlan.objects.create(
        population=population,
        region=region,
        proportion=proportion,
        minimum=minimum,
        strata=strata,
        as_of=validate_as_of(as_of or timezone.localdate()),
        seed=secrets.token_hex(16),
        note=note,
        created_by=acting_user if getattr(acting_user, "pk", None) else None,
    )
    return draw_plan(acting_user=acting_user, plan=plan, assignee=assignee)


@transaction.atomic
def draw_plan(*, acting_user: Any, plan: SamplingPlan, assignee: Any = None) -> SamplingPlan:
    """Draw an undrawn plan; a drawn plan is never redrawn (refused, not silently)."""
    check_permission(acting_user, "supervision.add_samplingplan")
    plan = SamplingPlan.objects.select_for_update().get(pk=plan.pk)
    check_jurisdiction(acting_user, plan.region_id)
    if plan.drawn_at is not None or plan.items.exists() or plan.groups.exists():
        raise ValidationError("该抽样计划已抽取，不能重新抽取或修改")
    # The seed is the system's, made at the draw: never one stored with the plan beforehand.
    plan.seed = secrets.token_hex(16)
    if assignee is not None:
        if not assignee.has_perm("supervision.change_calltask"):
            raise ValidationError({"assignee": f"{assignee} 不能承担电话核查"})
        check_jurisdiction(assignee, plan.region_id)
        callers = [assignee]
    else:
        callers = supervisors_for(plan.region_id)
    if not callers:
        raise ValidationError({"assignee": "抽样范围内没有督导员，请指定核查人"})
    rows = population_rows(plan.population, acting_user, plan.region_id, plan.as_of)
    grouped: dict[tuple[str, str], list[tuple[int, str, int, int | None]]] = {}
    for row in rows:
        grouped.setdefault(group_key(row, plan.strata), []).append(row)
    content_type = ContentType.objects.get_for_model(POPULATIONS[plan.population].model)
    summary, snapshot, items = [], [], []
    for (township, stratum), members in sorted(grouped.items()):
        ids = [r[0] for r in members]
        n = allocation(len(ids), plan.proportion, plan.minimum)
        group = SampleGroup.objects.create(
            plan=plan,
            township_id=township,
            stratum=stratum,
            population_size=len(ids),
            drawn=n,
            population_ids=ids,
        )
        snapshot.append((township, stratum, ids))
        by_id = {r[0]: r for r in members}
        for order, pk in enumerate(draw_group(plan.seed, township, stratum, ids, n), 1):
            _, village, household, person = by_id[pk]
            items.append(
                SampleItem(
                    plan=plan,
                    group=group,
                    township_id=township,
                    region_id=village,
                    content_type=content_type,
                    object_id=pk,
                    household_id=household,
                    person_id=person,
                    order=order,
                )
            )
        summary.append({"township": township, "stratum": stratum, "size": len(ids), "drawn": n})
    SampleItem.objects.bulk_create(items, batch_size=1000)
    items = list(plan.items.select_related("group").order_by("township_id", "group_id", "order"))
    CallTask.objects.bulk_create(
        [
            CallTask(item=item, region_id=item.region_id, assignee=callers[i % len(callers)])
            for i, item in enumerate(items)
        ],
        batch_size=1000,
    )
    plan.population_digest = digest(snapshot)
    plan.drawn_at = timezone.now()
    plan.save(update_fields=["seed", "population_digest", "drawn_at", "updated_at"])
    audit.record(
        AuditLog.Action.CREATE,
        plan,
        region_code=plan.region_id,
        changes={
            "seed": plan.seed,
            "population": plan.population,
            "proportion": str(plan.proportion),
            "minimum": plan.minimum,
            "strata": plan.strata,
            "as_of": plan.as_of.isoformat(),
            "population_digest": plan.population_digest,
            "sample_digest": sample_digest(items),
            "groups": summary,
            "callers": [u.username for u in callers],
        },
        message=f"抽取样本 {len(items)} 条",
    )
    return plan


def per_township(plan: SamplingPlan) -> list[dict[str, Any]]:
    """Population and drawn count per township (strata summed)."""
    totals: dict[str, dict[str, Any]] = {}
    for group in plan.groups.select_related("township").order_by("township_id"):
        row = totals.setdefault(
            group.township_id,
            {"township": group.township_id, "name": group.township.name, "size": 0, "drawn": 0},
        )
        row["size"] += group.population_size
        row["drawn"] += group.drawn
    return list(totals.values())


def verify_plan(plan: SamplingPlan) -> dict[str, Any]:
    """Re-run the draw from the stored seed and population; compare with the stored items.

    Also says whether the stored population still matches its digest taken at the draw and
    whether today's population (for the plan's date) is still the same.
    """
    groups = list(plan.groups.order_by("township_id", "stratum"))
    actual: dict[int, list[int]] = {}
    for group_id, object_id in plan.items.order_by("group_id", "order").values_list(
        "group_id", "object_id"
    ):
        actual.setdefault(group_id, []).append(object_id)
    report_groups = []
    for group in groups:
        n = allocation(len(group.population_ids), plan.proportion, plan.minimum)
        expected = draw_group(plan.seed, group.township_id, group.stratum, group.population_ids, n)
        got = actual.pop(group.pk, [])
        report_groups.append(
            {
                "township": group.township_id,
                "stratum": group.stratum,
                "expected": len(expected),
                "actual": len(got),
                "matches": expected == got and n == group.drawn,
            }
        )
    snapshot = [(g.township_id, g.stratum, list(g.population_ids)) for g in groups]
    stored_ok = bool(plan.population_digest) and digest(snapshot) == plan.population_digest
    current = population_rows(plan.population, None, plan.region_id, plan.as_of)
    current_groups: dict[tuple[str, str], list[int]] = {}
    for row in current:
        current_groups.setdefault(group_key(row, plan.strata), []).append(row[0])
    same_now = sorted(snapshot) == sorted((t, s, ids) for (t, s), ids in current_groups.items())
    audit_ok = _matches_draw_entry(plan, groups)
    uncalled = plan.items.filter(call__isnull=True).count()  # a call task deleted
    matches = (
        plan.drawn_at is not None
        and stored_ok
        and audit_ok
        and not uncalled
        and not actual  # no items outside a group
        and all(g["matches"] for g in report_groups)
    )
    return {
        "plan": plan.pk,
        "seed": plan.seed,
        "matches": matches,
        "population_digest_matches": stored_ok,
        "audit_matches": audit_ok,
        "items_without_call": uncalled,
        "population_unchanged": same_now,
        "groups": report_groups,
    }


def _matches_draw_entry(plan: SamplingPlan, groups: list[SampleGroup]) -> bool:
    """The plan as stored is the plan as drawn: seed, parameters, digests and per-group
    counts equal those in the draw's audit entry (a seed or proportion changed together
    with consistent items, or an item redirected to another person, is caught here)."""
    entry = draw_entry(plan)
    if entry is None:
        return False
    drawn = entry.changes or {}
    try:
        proportion_ok = Decimal(str(drawn.get("proportion"))) == Decimal(plan.proportion)
    except ArithmeticError:
        proportion_ok = False
    summary = [
        {"township": g.township_id, "stratum": g.stratum, "size": g.population_size,
         "drawn": g.drawn}
        for g in groups
    ]  # fmt: skip

    def key(row: dict[str, Any]) -> tuple[str, str]:
        return row.get("township", ""), row.get("stratum", "")

    items = plan.items.select_related("group")
    return (
        drawn.get("seed") == plan.seed
        and drawn.get("population") == plan.population
        and proportion_ok
        and drawn.get("minimum") == plan.minimum
        and drawn.get("strata") == plan.strata
        and drawn.get("as_of") == plan.as_of.isoformat()
        and drawn.get("population_digest") == plan.population_digest
        and sorted(drawn.get("groups", []), key=key) == sorted(summary, key=key)
        and ("sample_digest" not in drawn or drawn["sample_digest"] == sample_digest(items))
    )
