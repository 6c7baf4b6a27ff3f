"""The headline indicators of employment assistance for a region on a date (issue 4).

One function, `figures(region_code, as_of, user)`, used by the CLI, the report page, its
xlsx export, the API and the dashboard, so that every place shows the same numbers.

Definitions (as of day D; "this year" is 1 January of D's year up to D):

- stocks on D: ``laborers`` (selectors.laborers(D)); ``employed`` (their state valid on
  D is 已就业, farming included); ``transferred`` (laborers whose
  state valid on D is employed in non-farm work, selectors.transferred_condition), split
  by location tier and by form; ``unemployed_with_needs`` (laborers whose state on D is
  未就业, i.e. unemployed and wanting work); ``workshops`` (recognised by D, not revoked
  on D) and ``workshop_laborers`` (laborers whose state on D is employment in one of
  them); ``public_welfare_posts`` (developed by D, not closed on D) and
  ``public_welfare_on_post`` (those posts held by someone on D);
- flows this year: ``recruitment_events`` / ``posts_offered``; ``startup_loans`` /
  ``startup_loan_amount`` (loans granted this year, in yuan); ``training_enrollments`` (in
  classes starting this year), by training type; ``export_batches`` (departing this year)
  / ``export_workers`` (registered people on them); ``served`` (laborers with at least one
  employment service dated this year) and ``coverage`` = served / laborers; ``job_pushes``
  (岗位推送 this year) / ``push_interested`` (of those, interested or further by D) /
  ``push_hires`` (hired by D) and ``push_conversion`` = hires / pushes;
  ``subsidies_paid`` / ``subsidy_amount`` (claims paid this year, the subsidies ledger),
  by policy code.

Where a figure is counted: people (laborers, services, loans, enrollments) by their
household's village; workshops, posts, events and export batches by their own region, and
what hangs on them (workshop laborers, post holders, batch workers) with them. These are
the ledgers' rules (fupin/ledgers/definitions.py): each figure is the row count or a
column total of one ledger for the same region and date (tests/test_stats_ledgers.py).

Every read starts from the one scoping method (``for_user(user).in_region(code)``) and
every figure is one GROUP BY over the region-code prefix of the next level (township, or
village when the region is a township), so a region costs a fixed number of queries
however many townships it has. The region totals are the sums of those groups.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Substr
from django.http import Http404

from fupin.core.models import jurisdiction_code
from fupin.employment import choices as c
from fupin.employment import models as m
from fupin.employment.selectors import laborers, transferred_condition, with_state
from fupin.matching.choices import REACHED_INTEREST, PushStatus
from fupin.matching.models import Push
from fupin.regions.models import LEVEL_BY_LENGTH, Region
from fupin.subsidies.selectors import paid_applications

# The next region level's code length, by the region's code length.
CHILD_LENGTH = {0: 2, 2: 4, 4: 6, 6: 9, 9: 12}
TIERS = list(c.LocationTier.values)
FORMS = [f for f in c.Form.values if f != c.Form.FARMING]
TRAINING_TYPES = list(c.TrainingType.values)

# Plain figures (no breakdown), in report order, with their Chinese labels and units.
LABELS: dict[str, str] = {
    "laborers": "贫困劳动力（人）",
    "employed": "已就业（人）",
    "transferred": "转移就业（人）",
    "recruitment_events": "招聘活动（场）",
    "posts_offered": "招聘活动提供岗位（个）",
    "workshops": "扶贫车间（个）",
    "workshop_laborers": "扶贫车间吸纳贫困劳动力（人）",
    "public_welfare_posts": "公益性岗位（个）",
    "public_welfare_on_post": "公益性岗位在岗（人）",
    "startup_loans": "创业担保贷款（笔）",
    "startup_loan_amount": "创业担保贷款金额（元）",
    "training_enrollments": "培训（人次）",
    "export_batches": "有组织劳务输出（批次）",
    "export_workers": "有组织劳务输出（人）",
    "served": "接受就业服务（人）",
    "coverage": "就业服务覆盖率",
    "unemployed_with_needs": "未就业有就业需求（人）",
    "job_pushes": "岗位推送（次）",
    "push_interested": "推送后有意向（人次）",
    "push_hires": "推送后就业（人次）",
    "push_conversion": "推送就业转化率",
    "subsidies_paid": "就业扶贫补贴发放（笔）",
    "subsidy_amount": "就业扶贫补贴发放金额（元）",
}
RATES = ("coverage", "push_conversion")
COUNTS = [k for k in LABELS if k not in RATES]
BREAKDOWNS = (
    "transferred_by_tier",
    "transferred_by_form",
    "training_by_type",
    "transferred_by_province",  # province code of the place of work ("": not recorded)
    "subsidies_by_policy",  # paid claims per policy code
)


def child_length(code: str) -> int | None:
    """Code length of the level below `code` (None for a village: nothing below)."""
    return CHILD_LENGTH.get(len(code))


def resolve_region(user: Any, code: str | None) -> Region | None:
    """The region to count: `code`, or the user's jurisdiction when empty.

    Refuses (PermissionDenied) a region outside the user's jurisdiction and raises
    Http404 for an unknown code. `user=None` is the system (CLI without --user): any
    region. Returns None only for the whole country (a superuser or the system, no code).
    """
    code = (code or "").strip()
    if user is not None:
        own = jurisdiction_code(user)
        if own is None:
            raise PermissionDenied("您没有管辖区域，不能查看统计数据")
        if not code:
            code = own
        elif not code.startswith(own):
            raise PermissionDenied(f"区划 {code} 不在您的管辖范围内")
    if not code:
        return None
    if not code.isdigit() or level_of_code(code) is None:
        raise Http404(f"区划代码 {code} 格式不正确")
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise Http404(f"区划 {code} 不存在")
    return region


def level_of_code(code: str) -> int | None:
    return LEVEL_BY_LENGTH.get(len(code))


def _scoped(queryset: QuerySet, user: Any, code: str) -> QuerySet:
    """The one scoping method; `user=None` is the system (no jurisdiction limit)."""
    if user is not None:
        queryset = queryset.for_user(user)
    return queryset.in_region(code)


def _code_path(model: Any) -> str:
    """The column holding a model's region code (region__code → region_id), for Substr."""
    return model.scope_field.removesuffix("__code") + "_id"


def _grouped(
    queryset: QuerySet, path: str, length: int, by: dict[str, Any] | None = None, **aggregates: Any
) -> list[dict[str, Any]]:
    """One GROUP BY over the first `length` characters of the region code at `path` (and
    the extra keys `by`); rows with "child"."""
    by = by or {}
    return list(
        queryset.order_by()
        .annotate(child=Substr(path, 1, length), **by)
        .values("child", *by)
        .annotate(**aggregates)
        .order_by()
    )


def _active(start: str, end: str, day: datetime.date) -> Q:
    """Started on or before `day` and not ended on it."""
    return Q(**{f"{start}__lte": day}) & (Q(**{f"{end}__isnull": True}) | Q(**{f"{end}__gt": day}))


def _empty() -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(COUNTS, 0)
    row["transferred_by_tier"] = dict.fromkeys(TIERS, 0)
    row["transferred_by_form"] = dict.fromkeys(FORMS, 0)
    row["training_by_type"] = dict.fromkeys(TRAINING_TYPES, 0)
    row["transferred_by_province"] = {}
    row["subsidies_by_policy"] = {}
    return row


def _finish(row: dict[str, Any]) -> dict[str, Any]:
    row["startup_loan_amount"] = int(row["startup_loan_amount"] or 0)
    row["subsidy_amount"] = int(row["subsidy_amount"] or 0)
    row["coverage"] = round(row["served"] / row["laborers"], 4) if row["laborers"] else 0.0
    pushes = row["job_pushes"]
    row["push_conversion"] = round(row["push_hires"] / pushes, 4) if pushes else 0.0
    return row


def grouped_figures(
    user: Any, code: str, day: datetime.date, length: int
) -> dict[str, dict[str, Any]]:
    """Every figure per region-code prefix of `length` characters (about ten queries)."""
    year_start = day.replace(month=1, day=1)
    this_year = {"gte": year_start, "lte": day}
    groups: dict[str, dict[str, Any]] = defaultdict(_empty)

    def merge(found: list[dict[str, Any]], mapping: dict[str, str]) -> None:
        for values in found:
            child = values["child"]
            for key, target in mapping.items():
                value = values[key] or 0
                if "." in target:
                    outer, inner = target.split(".")
                    groups[child][outer][inner] += value
                else:
                    groups[child][target] += value

    # Laborers and their state on `day`: one LEFT JOIN, conditional counts.
    people = with_state(_scoped(laborers(day), user, code), day)
    given = m.Service.objects.filter(person=OuterRef("pk"), date__gte=year_start, date__lte=day)
    served = Exists(given.values("pk"))
    moved = transferred_condition()
    aggregates = {
        "laborers": Count("pk"),
        "employed": Count("pk", filter=Q(status=c.Status.EMPLOYED)),
        "transferred": Count("pk", filter=moved),
        "unemployed_with_needs": Count("pk", filter=Q(status=c.Status.UNEMPLOYED)),
        "served": Count("pk", filter=served),
        **{f"tier_{t}": Count("pk", filter=moved & Q(location_tier=t)) for t in TIERS},
        **{f"form_{f}": Count("pk", filter=moved & Q(form=f)) for f in FORMS},
    }
    # Grouped by province of work too, for the destinations (rows: townships × provinces).
    province = {"province": Substr("state__destination_id", 1, 2)}
    found = _grouped(people, "household__village_id", length, by=province, **aggregates)
    for row in found:
        if row["transferred"]:
            provinces = groups[row["child"]]["transferred_by_province"]
            where = row["province"] or ""
            provinces[where] = provinces.get(where, 0) + row["transferred"]
    merge(
        found,
        {
            "laborers": "laborers",
            "employed": "employed",
            "transferred": "transferred",
            "unemployed_with_needs": "unemployed_with_needs",
            "served": "served",
            **{f"tier_{t}": f"transferred_by_tier.{t}" for t in TIERS},
            **{f"form_{f}": f"transferred_by_form.{f}" for f in FORMS},
        },
    )

    workshops = _scoped(m.Workshop.objects.all(), user, code).filter(
        _active("recognized_on", "revoked_on", day)
    )
    merge(_grouped(workshops, "region_id", length, n=Count("pk")), {"n": "workshops"})
    # Laborers whose state on `day` is a job at one of those workshops (by workshop place).
    at_workshops = (
        with_state(laborers(day), day)
        .annotate(workshop_id=F("state__workshop_id"))
        .filter(
            status=c.Status.EMPLOYED,
            form=c.Form.WORKSHOP,
            workshop_id__in=workshops.values("pk"),
        )
    )
    merge(
        _grouped(at_workshops, "state__workshop__region_id", length, n=Count("pk")),
        {"n": "workshop_laborers"},
    )

    posts = _scoped(m.PublicWelfarePost.objects.all(), user, code).filter(
        _active("developed_on", "closed_on", day)
    )
    merge(_grouped(posts, "region_id", length, n=Count("pk")), {"n": "public_welfare_posts"})
    # Posts of the region held on `day` (the 在岗 column of the public_welfare ledger).
    held = m.Placement.objects.filter(_active("start", "end", day), post__in=posts.values("pk"))
    merge(
        _grouped(held, "post__region_id", length, n=Count("post", distinct=True)),
        {"n": "public_welfare_on_post"},
    )

    loans = (
        _scoped(m.Loan.objects.all(), user, code)
        .filter(**{f"granted_on__{k}": v for k, v in this_year.items()})
        .filter(startup__started_on__lte=day)
        .exclude(status=c.LoanStatus.APPLIED)
    )
    merge(
        _grouped(loans, _code_path(m.Loan), length, n=Count("pk"), amount=Sum("amount")),
        {"n": "startup_loans", "amount": "startup_loan_amount"},
    )

    events = _scoped(m.RecruitmentEvent.objects.all(), user, code).filter(
        **{f"date__{k}": v for k, v in this_year.items()}
    )
    merge(
        _grouped(events, "region_id", length, n=Count("pk"), posts=Sum("posts_offered")),
        {"n": "recruitment_events", "posts": "posts_offered"},
    )

    enrollments = _scoped(m.Enrollment.objects.all(), user, code).filter(
        **{f"training__start__{k}": v for k, v in this_year.items()}
    )
    merge(
        _grouped(
            enrollments,
            _code_path(m.Enrollment),
            length,
            n=Count("pk"),
            **{t: Count("pk", filter=Q(training__training_type=t)) for t in TRAINING_TYPES},
        ),
        {"n": "training_enrollments", **{t: f"training_by_type.{t}" for t in TRAINING_TYPES}},
    )

    batches = _scoped(m.ExportBatch.objects.all(), user, code).filter(
        **{f"departed_on__{k}": v for k, v in this_year.items()}
    )
    merge(_grouped(batches, "region_id", length, n=Count("pk")), {"n": "export_batches"})
    # Registered people on those batches, counted where the batch was organised.
    workers = m.ExportParticipant.objects.filter(batch__in=batches.values("pk"))
    merge(_grouped(workers, "batch__region_id", length, n=Count("pk")), {"n": "export_workers"})

    # Job pushes this year (matching), by the laborer's village; hires among them.
    pushed = _scoped(Push.objects.all(), user, code).filter(
        **{f"pushed_on__{k}": v for k, v in this_year.items()}
    )
    merge(
        _grouped(
            pushed,
            _code_path(Push),
            length,
            n=Count("pk"),
            interested=Count("pk", filter=Q(status__in=REACHED_INTEREST, status_on__lte=day)),
            hired=Count("pk", filter=Q(status=PushStatus.HIRED, status_on__lte=day)),
        ),
        {"n": "job_pushes", "interested": "push_interested", "hired": "push_hires"},
    )

    # Subsidies paid this year (the `subsidies` ledger), by the beneficiary's region.
    paid = paid_applications(code, day, user).filter(paid_on__gte=year_start)
    found = _grouped(
        paid, "region_id", length, by={"policy_code": F("policy__code")}, n=Count("pk"),
        amount=Sum("amount"),
    )  # fmt: skip
    for row in found:
        by_policy = groups[row["child"]]["subsidies_by_policy"]
        by_policy[row["policy_code"]] = by_policy.get(row["policy_code"], 0) + row["n"]
    merge(found, {"n": "subsidies_paid", "amount": "subsidy_amount"})
    return dict(groups)


def _total(rows: list[dict[str, Any]]) -> dict[str, Any]:
    total = _empty()
    for row in rows:
        for key in COUNTS:
            total[key] += row[key]
        for key in BREAKDOWNS:
            for inner, value in row[key].items():
                total[key][inner] = total[key].get(inner, 0) + value
    return total


def figures(region_code: str | None, as_of: datetime.date | None, user: Any) -> dict[str, Any]:
    """The headline figures of `region_code` (default: the user's jurisdiction) on `as_of`
    (default today), with ``townships``: the same per township, or per village when the
    region is a township (plus a 本级 row for records held at the region itself).

    Refuses regions outside the user's jurisdiction (PermissionDenied; unknown code: 404).
    JSON-ready: plain ints, a float coverage, ISO dates.
    """
    day = as_of or datetime.date.today()
    region = resolve_region(user, region_code)
    code = region.code if region else ""
    length = child_length(code) or len(code)
    groups = grouped_figures(user, code, day, length)
    children: list[Region] = []
    if child_length(code):
        children = list(
            _scoped(Region.objects.all(), user, code)
            .filter(level=LEVEL_BY_LENGTH[length])
            .only("code", "name")
        )
    rows = []
    for child in children:
        row = _finish(groups.pop(child.code, _empty()))
        rows.append({"code": child.code, "name": child.short_name, **row})
    own = _total(list(groups.values()))  # records held at the region itself (or unknown)
    if children and any(own[k] for k in COUNTS):
        rows.append({"code": code, "name": "本级", **_finish(own)})
    total = _finish(_total([*rows] if children else [own]))
    return {
        "region": {"code": code, "name": region.full_name if region else "全国"},
        "as_of": day.isoformat(),
        "year_start": day.replace(month=1, day=1).isoformat(),
        **total,
        "townships": rows,
    }
