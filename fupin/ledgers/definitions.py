"""The 11 work ledgers (台账, domain.md §3 "The work ledgers"), each defined once.

A ledger is: an id, a title suffix (the region's full name goes in front), columns (header,
width, kind: text / int / money / date / flag, and whether the 合计 row totals it), a
scoped and ordered queryset for (region code, as-of date, user), and its period. The
workbook writer (writer.py), the command, the page and the statistics all read this one
registry, so a figure and "its" ledger cannot drift apart: a statistic is the ledger's row
count or one column's total (`Ledger.queryset(...).count()`, `Ledger.summary(...)`).

Decisions (the issue leaves these open):

- `transferred` (转移就业台账) is every laborer in 转移就业 on the date — employed and
  form ≠ 务农 (`selectors.transferred_condition`; the demo's 17,410) — with a 就业地域
  column, so "by location tier" is a filter of this one ledger.
- `local` (就近就地就业台账) is the laborers employed in the district on the date: location
  tier 乡镇内 or 乡镇外县内. It overlaps `transferred` on purpose (就近就业 is a kind of
  转移就业). Farming only (务农) is left out, as in `transferred`: the demo stores farming
  with tier 乡镇内, and 务农 is not 就业 in the sense of these ledgers
  (LOCAL_INCLUDES_FARMING switches that).
- Periods. `state` ledgers show the state on the as-of date (laborers, transferred, local,
  unemployed from the dated employment history; workshops recognised and not revoked,
  posts developed and not closed with their holder on that date; startups started by
  then). `year` ledgers list what happened in the as-of date's calendar year up to the
  date (training classes started, export batches departed, postings published, subsidies
  paid) — the way they are reported upward (本年度). Startup loans: loans granted this
  year (本年放款) and up to the date (累计).
- Workshops and public-welfare posts are counted where they are (the workshop's / post's
  region); their laborers may live elsewhere (only counts and the holder are shown).
  Training, startups and the unemployed are counted where the person lives.
- Needs (Needs) and the current status of a posting or enrollment have no history: a
  past-date ledger shows them as they are now.
- `subsidies` lists payments as fupin.subsidies counts them (paid claims, by paid date).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import (
    BooleanField,
    Case,
    Count,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from fupin.core.models import jurisdiction_code
from fupin.employment import choices as ec
from fupin.employment.models import (
    EmploymentRecord,
    Enrollment,
    ExportBatch,
    ExportParticipant,
    JobPosting,
    Loan,
    Placement,
    PublicWelfarePost,
    Service,
    Startup,
    Workshop,
)
from fupin.employment.selectors import (
    laborers,
    state_condition,
    transferred_condition,
    with_state,
)
from fupin.matching.choices import REACHED_INTEREST, PushStatus
from fupin.matching.models import Push
from fupin.regions.models import Region
from fupin.registry import choices as rc

KINDS = ("text", "int", "money", "date", "flag")
LOCAL_TIERS = (ec.LocationTier.IN_TOWNSHIP, ec.LocationTier.IN_COUNTY)
LOCAL_INCLUDES_FARMING = False
# Who may produce ledgers: staff who see laborers, and leaders (figures only, masked IDs).
LEDGER_PERMISSIONS = ("employment.view_employmentrecord", "core.view_figures")


def labels(choices: Any) -> dict[Any, str]:
    return dict(choices.choices)


SEX = labels(rc.Sex)
STATUS = {**labels(ec.Status), None: "未填报"}


@dataclass(frozen=True)
class Column:
    """One ledger column. `field` names a value of the row queryset (ORM path or
    annotation); `show` says how the raw value becomes a cell: "" as it is (through
    `choices` when given), "id" (masked unless permitted), "phone" (a person's phone,
    masked like an ID number unless permitted), "township" / "village" (the
    name of a region code's township / village), "age" (age on the as-of date of a
    birth date), "tier" (location tier in the region's wording), "needs" (service-need
    list), "place" (a region name without 村民委员会 / 居民委员会)."""

    field: str
    header: str
    width: float = 12
    kind: str = "text"
    total: bool = False
    show: str = ""
    choices: Mapping[Any, str] | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind}")


@dataclass(frozen=True)
class Scope:
    """What a ledger is produced for: a region inside the user's jurisdiction, a date."""

    region: str
    as_of: datetime.date
    user: Any

    @property
    def year_start(self) -> datetime.date:
        return self.as_of.replace(month=1, day=1)


@dataclass(frozen=True)
class Ledger:
    id: str
    title: str
    columns: tuple[Column, ...]
    source: Callable[[Scope], QuerySet]
    order: tuple[str, ...]
    period: str  # "state" or "year"
    description: str
    unit: str = "人"
    fields: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", tuple(dict.fromkeys(c.field for c in self.columns)))

    @property
    def totalled(self) -> list[Column]:
        return [c for c in self.columns if c.total]

    def queryset(self, region_code: str, as_of: datetime.date, user: Any) -> QuerySet:
        """The ledger's records (scoped, filtered, annotated, ordered): count() is its rows."""
        return self.source(Scope(region_code, as_of, user)).order_by(*self.order)

    def values(self, region_code: str, as_of: datetime.date, user: Any) -> QuerySet:
        """Raw values in `self.fields` order, one tuple per row, selected in SQL."""
        return self.queryset(region_code, as_of, user).values_list(*self.fields)

    def summary(self, region_code: str, as_of: datetime.date, user: Any) -> dict[str, Any]:
        """{"rows": n, "totals": {header: total}}: the figures of the 合计 row."""
        index = {name: i for i, name in enumerate(self.fields)}
        totals = {c.header: 0 for c in self.totalled}
        rows = 0
        query = self.values(region_code, as_of, user)
        for values in query.iterator(chunk_size=5000):
            rows += 1
            for column in self.totalled:
                totals[column.header] += cell_total(column, values[index[column.field]])
        return {"rows": rows, "totals": totals}


def cell_total(column: Column, raw: Any) -> Any:
    """What one raw value adds to its column's total (flags count 是)."""
    if column.kind == "flag":
        return 1 if raw else 0
    return raw or 0


# --- scope ---------------------------------------------------------------------------


def may_use(user: Any) -> bool:
    return bool(user) and any(user.has_perm(p) for p in LEDGER_PERMISSIONS)


def resolve_region(user: Any, code: str | None) -> Region:
    """The region to produce for: `code` (default: the user's own) inside the user's
    jurisdiction. Raises Region.DoesNotExist or PermissionDenied (Chinese messages)."""
    prefix = jurisdiction_code(user)
    if prefix is None or not may_use(user):
        raise PermissionDenied("您没有查看台账的权限")
    code = (code or "").strip() or prefix
    if not code:
        raise Region.DoesNotExist("请指定区划代码")
    region = Region.objects.for_user(user).filter(code=code).first()
    if region is None:
        if Region.objects.filter(code=code).exists():
            raise PermissionDenied(f"区划 {code} 不在您的管辖范围内")
        raise Region.DoesNotExist(f"区划代码 {code} 不存在")
    return region


# --- sources -------------------------------------------------------------------------


def _count(queryset: QuerySet, group: str) -> Coalesce:
    """A correlated COUNT(*) of `queryset` (already filtered on OuterRef), 0 when none."""
    counted = queryset.order_by().values(group).annotate(n=Count("pk")).values("n")[:1]
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _services(scope: Scope, service_type: str | None = None) -> Coalesce:
    """Services given to the row's person this year up to the as-of date."""
    given = Service.objects.filter(
        person=OuterRef("pk"), date__gte=scope.year_start, date__lte=scope.as_of
    )
    if service_type:
        given = given.filter(service_type=service_type)
    return _count(given, "person")


def people(scope: Scope) -> QuerySet:
    """Laborers of the region on the date, with their employment state on that date."""
    scoped = laborers(scope.as_of).for_user(scope.user).in_region(scope.region)
    return with_state(scoped, scope.as_of).annotate(
        employer_name=F("state__employer_name"),
        destination_name=F("state__destination__name"),
        trade=F("state__trade"),
        channel=F("state__channel"),
        start_date=F("state__start_date"),
        has_contract=F("state__has_contract"),
        has_social_insurance=F("state__has_social_insurance"),
    )


def _laborers(scope: Scope) -> QuerySet:
    return people(scope).annotate(services_year=_services(scope))


def _transferred(scope: Scope) -> QuerySet:
    return people(scope).filter(transferred_condition())


def _local(scope: Scope) -> QuerySet:
    rows = people(scope).filter(status=ec.Status.EMPLOYED, location_tier__in=LOCAL_TIERS)
    return rows if LOCAL_INCLUDES_FARMING else rows.exclude(form=ec.Form.FARMING)


def _unemployed(scope: Scope) -> QuerySet:
    given = Service.objects.filter(
        person=OuterRef("pk"), date__gte=scope.year_start, date__lte=scope.as_of
    )
    last = given.order_by().values("person").annotate(last=Max("date")).values("last")[:1]
    per_type = {f"services_{t}": _services(scope, t) for t in ec.ServiceType.values}
    return (
        people(scope)
        .filter(status=ec.Status.UNEMPLOYED)
        .annotate(services_year=_services(scope), last_service=Subquery(last), **per_type)
    )


def _workshops(scope: Scope) -> QuerySet:
    staff = EmploymentRecord.objects.filter(
        state_condition(scope.as_of),
        workshop=OuterRef("pk"),
        status=ec.Status.EMPLOYED,
        form=ec.Form.WORKSHOP,
        person__in=laborers(scope.as_of).values("pk"),
    )
    return (
        Workshop.objects.for_user(scope.user)
        .in_region(scope.region)
        .filter(recognized_on__lte=scope.as_of)
        .filter(Q(revoked_on__isnull=True) | Q(revoked_on__gt=scope.as_of))
        .annotate(laborers=_count(staff, "workshop"))
    )


def _public_welfare(scope: Scope) -> QuerySet:
    holder = (
        Placement.objects.filter(post=OuterRef("pk"), start__lte=scope.as_of)
        .filter(Q(end__isnull=True) | Q(end__gt=scope.as_of))
        .order_by("-start", "-id")
    )

    def of_holder(name: str) -> Subquery:
        return Subquery(holder.values(name)[:1])

    return (
        PublicWelfarePost.objects.for_user(scope.user)
        .in_region(scope.region)
        .filter(developed_on__lte=scope.as_of)
        .filter(Q(closed_on__isnull=True) | Q(closed_on__gt=scope.as_of))
        .annotate(
            holder_name=of_holder("person__name"),
            holder_sex=of_holder("person__sex"),
            holder_id_number=of_holder("person__id_number"),
            holder_start=of_holder("start"),
        )
    )


def _startups(scope: Scope) -> QuerySet:
    granted = Loan.objects.filter(
        startup=OuterRef("pk"), granted_on__isnull=False, granted_on__lte=scope.as_of
    ).exclude(status=ec.LoanStatus.APPLIED)
    this_year = granted.filter(granted_on__gte=scope.year_start)

    def amount(loans: QuerySet) -> Coalesce:
        summed = loans.order_by().values("startup").annotate(s=Sum("amount")).values("s")[:1]
        return Coalesce(Subquery(summed), Value(0), output_field=Loan._meta.get_field("amount"))

    latest = granted.order_by("-granted_on", "-id")
    return (
        Startup.objects.for_user(scope.user)
        .in_region(scope.region)
        .filter(started_on__lte=scope.as_of)
        .annotate(
            loans_year=_count(this_year, "startup"),
            amount_year=amount(this_year),
            amount_all=amount(granted),
            bank=Subquery(latest.values("bank")[:1]),
            last_granted=Subquery(latest.values("granted_on")[:1]),
        )
    )


def _training(scope: Scope) -> QuerySet:
    return (
        Enrollment.objects.for_user(scope.user)
        .in_region(scope.region)
        .filter(training__start__gte=scope.year_start, training__start__lte=scope.as_of)
        .annotate(
            finished=Case(
                When(completed=True, training__end__lte=scope.as_of, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
    )


def _labor_export(scope: Scope) -> QuerySet:
    seated = ExportParticipant.objects.filter(batch=OuterRef("pk"))
    receivers = ExportBatch.employers.through.objects.filter(exportbatch=OuterRef("pk"))
    return (
        ExportBatch.objects.for_user(scope.user)
        .in_region(scope.region)
        .filter(departed_on__gte=scope.year_start, departed_on__lte=scope.as_of)
        .annotate(
            workers=_count(seated, "batch"),
            employer_count=_count(receivers, "exportbatch"),
            first_employer=Subquery(
                receivers.order_by("employer__name").values("employer__name")[:1]
            ),
        )
        .annotate(all_workers=F("workers") + F("other_workers"))
    )


def _jobs(scope: Scope) -> QuerySet:
    """Postings visible to the user (district-wide and partner regions') published this
    year: those located in the region, plus partner-region postings (shared by all)."""
    visible = JobPosting.objects.for_user(scope.user)
    outside = ~Q(region__code__startswith=scope.region[:2])
    offered = JobPosting.recruitmentevent_set.through.objects.filter(jobposting=OuterRef("pk"))
    # Pushes of this posting to laborers the user sees, and how far they got by the date.
    pushed = Push.objects.for_user(scope.user).filter(
        posting=OuterRef("pk"), pushed_on__lte=scope.as_of
    )
    reached_interest = Q(status__in=REACHED_INTEREST, status_on__lte=scope.as_of)
    return (
        (visible.in_region(scope.region) | visible.filter(outside))
        .filter(valid_from__gte=scope.year_start, valid_from__lte=scope.as_of)
        .annotate(
            events=_count(offered, "jobposting"),
            push_count=_count(pushed, "posting"),
            push_interested=_count(pushed.filter(reached_interest), "posting"),
            push_hired=_count(
                pushed.filter(status=PushStatus.HIRED, status_on__lte=scope.as_of), "posting"
            ),
        )
    )


def subsidy_rows(scope: Scope) -> QuerySet:
    """Subsidies paid this year up to the date, counted the one way payments are counted
    everywhere (fupin.subsidies.selectors.paid_applications: scoped, paid, by date)."""
    from fupin.subsidies.selectors import paid_applications

    return (
        paid_applications(scope.region, scope.as_of, scope.user)
        .filter(paid_on__gte=scope.year_start)
        .annotate(
            village=F("region_id"),
            beneficiary=Coalesce("person__name", "workshop__name", "employer__name"),
        )
    )


# --- columns -------------------------------------------------------------------------


def person_columns(prefix: str = "", *, village: str | None = None) -> list[Column]:
    """乡镇 / 村 / 户编号 / 姓名 / 性别 / 证件号码 of the person at `prefix`."""
    code = village or f"{prefix}household__village_id"
    return [
        Column(code, "乡镇（街道）", 12, show="township"),
        Column(code, "村（社区）", 12, show="village"),
        Column(f"{prefix}household__number", "户编号", 20),
        Column(f"{prefix}name", "姓名", 8),
        Column(f"{prefix}sex", "性别", 5, choices=SEX),
        Column(f"{prefix}id_number", "证件号码", 21, show="id"),
    ]


def place_columns(code: str) -> list[Column]:
    return [
        Column(code, "乡镇（街道）", 12, show="township"),
        Column(code, "村（社区）", 12, show="village"),
    ]


EMPLOYMENT_COLUMNS = [
    Column("form", "就业形式", 10, choices=labels(ec.Form)),
    Column("location_tier", "就业地域", 10, show="tier"),
    Column("destination_name", "务工地", 12, show="place"),
    Column("employer_name", "用人单位", 24),
    Column("trade", "行业", 16, choices=labels(ec.Trade)),
    Column("channel", "就业渠道", 12, choices=labels(ec.Channel)),
    Column("start_date", "就业开始日期", 12, "date"),
    Column("monthly_income", "月收入（元）", 11, "money"),
    Column("has_contract", "签订劳动合同", 8, "flag", total=True),
    Column("has_social_insurance", "参加社会保险", 8, "flag", total=True),
]
PERSON_ORDER = ("household__village_id", "household__number", "id")

LABORER_DETAIL = [
    Column("birth_date", "年龄", 5, "int", show="age"),
    Column("education", "文化程度", 10, choices=labels(rc.Education)),
    Column("labor_ability", "劳动技能", 12, choices=labels(rc.LaborAbility)),
    Column("phone", "联系电话", 13, show="phone"),
]

SUBSIDY_COLUMNS = [
    *place_columns("village"),
    Column("beneficiary", "姓名（单位）", 16),
    Column("person__sex", "性别", 5, choices=SEX),
    Column("person__id_number", "证件号码", 21, show="id"),
    Column("policy__name", "补贴项目", 18),
    Column("period", "所属期", 10),
    Column("amount", "发放金额（元）", 12, "money", total=True),
    Column("paid_on", "发放日期", 12, "date"),
]

LEDGER_LIST = [
    Ledger(
        id="laborers",
        title="贫困劳动力实名制台账",
        description="全部贫困劳动力（劳动年龄内、有劳动能力的在册人员）在截止日期的就业状态和需求",
        period="state",
        source=_laborers,
        order=PERSON_ORDER,
        columns=(
            *person_columns(),
            *LABORER_DETAIL,
            Column("status", "就业状态", 10, choices=STATUS),
            Column("form", "就业形式", 10, choices=labels(ec.Form)),
            Column("location_tier", "就业地域", 10, show="tier"),
            Column("destination_name", "务工地", 12, show="place"),
            Column("employer_name", "用人单位", 24),
            Column("monthly_income", "月收入（元）", 11, "money"),
            Column("needs__wished_job", "意向岗位", 12),
            Column("needs__service_needs", "服务需求", 20, show="needs"),
            Column("needs__near_home", "只能就近就业", 8, "flag", total=True),
            Column("services_year", "本年接受服务（次）", 10, "int", total=True),
            Column("services_year", "本年已服务", 8, "flag", total=True),
        ),
    ),
    Ledger(
        id="transferred",
        title="转移就业台账",
        description="截止日期处于转移就业（已就业且非务农）的贫困劳动力，含就业地域",
        period="state",
        source=_transferred,
        order=PERSON_ORDER,
        columns=(
            *person_columns(),
            Column("phone", "联系电话", 13, show="phone"),
            *EMPLOYMENT_COLUMNS,
        ),
    ),
    Ledger(
        id="local",
        title="就近就地就业台账",
        description="截止日期在乡镇内或乡镇外县（区）内就业的贫困劳动力（不含只务农）",
        period="state",
        source=_local,
        order=PERSON_ORDER,
        columns=(
            *person_columns(),
            Column("phone", "联系电话", 13, show="phone"),
            *EMPLOYMENT_COLUMNS,
        ),
    ),
    Ledger(
        id="workshops",
        title="扶贫车间吸纳就业台账",
        description="截止日期已认定且未撤销的扶贫车间及其吸纳的贫困劳动力人数",
        period="state",
        source=_workshops,
        order=("region_id", "name", "id"),
        unit="个",
        columns=(
            *place_columns("region_id"),
            Column("name", "车间名称", 24),
            Column("employer__name", "经营主体", 24),
            Column("employer__credit_code", "统一社会信用代码", 20),
            Column("recognized_on", "认定日期", 12, "date"),
            Column("document_number", "认定文号", 20),
            Column("capacity", "吸纳就业能力（人）", 10, "int", total=True),
            Column("laborers", "吸纳贫困劳动力（人）", 10, "int", total=True),
            Column("employer__contact_name", "联系人", 8),
            Column("employer__contact_phone", "联系电话", 13),
        ),
    ),
    Ledger(
        id="public_welfare",
        title="公益性岗位安置台账",
        description="截止日期在用的公益性岗位及在岗人员",
        period="state",
        source=_public_welfare,
        order=("region_id", "title", "id"),
        unit="个",
        columns=(
            *place_columns("region_id"),
            Column("title", "岗位名称", 16),
            Column("post_type", "岗位类型", 12, choices=labels(ec.PostType)),
            Column("unit", "用人单位", 20),
            Column("full_time", "用工形式", 10, choices={True: "全日制", False: "非全日制"}),
            Column("monthly_pay", "月工资（元）", 11, "money", total=True),
            Column("funding", "资金来源", 14, choices=labels(ec.Funding)),
            Column("developed_on", "开发日期", 12, "date"),
            Column("holder_name", "在岗人员", 8),
            Column("holder_sex", "性别", 5, choices=SEX),
            Column("holder_id_number", "证件号码", 21, show="id"),
            Column("holder_start", "上岗日期", 12, "date"),
            Column("holder_start", "在岗", 6, "flag", total=True),
        ),
    ),
    Ledger(
        id="startups",
        title="自主创业及创业担保贷款台账",
        description="截止日期前创业的贫困人员及其创业担保贷款（本年放款和累计）",
        period="state",
        source=_startups,
        order=("person__household__village_id", "started_on", "id"),
        columns=(
            *person_columns("person__"),
            Column("person__phone", "联系电话", 13, show="phone"),
            Column("business_name", "经营主体名称", 24),
            Column("trade", "行业", 16, choices=labels(ec.Trade)),
            Column("started_on", "创业日期", 12, "date"),
            Column("jobs_created", "带动就业（人）", 9, "int", total=True),
            Column("loans_year", "本年放款（笔）", 9, "int", total=True),
            Column("amount_year", "本年放款金额（元）", 14, "money", total=True),
            Column("amount_all", "累计贷款金额（元）", 14, "money", total=True),
            Column("bank", "贷款银行", 16),
            Column("last_granted", "最近放款日期", 12, "date"),
        ),
    ),
    Ledger(
        id="training",
        title="就业技能培训台账",
        description="本年开班（截至截止日期）的培训班学员",
        period="year",
        source=_training,
        order=(
            "training__start",
            "training__name",
            "training_id",
            "person__household__village_id",
            "person__household__number",
            "id",
        ),
        columns=(
            *person_columns("person__"),
            Column("training__name", "培训班名称", 22),
            Column("training__training_type", "培训类型", 14, choices=labels(ec.TrainingType)),
            Column("training__provider", "培训机构", 18),
            Column("training__occupation", "培训工种", 10),
            Column("training__start", "开班日期", 12, "date"),
            Column("training__end", "结业日期", 12, "date"),
            Column("finished", "已结业", 7, "flag", total=True),
            Column("certificate", "证书", 12),
            Column("employed_after", "培训后就业", 8, "flag", total=True),
            Column("training__subsidy_per_head", "补贴标准（元/人）", 12, "money", total=True),
        ),
    ),
    Ledger(
        id="unemployed",
        title="未就业贫困劳动力帮扶台账",
        description="截止日期未就业的贫困劳动力、就业需求和本年接受的就业服务",
        period="state",
        source=_unemployed,
        order=PERSON_ORDER,
        columns=(
            *person_columns(),
            *LABORER_DETAIL,
            Column("needs__wished_trade", "意向行业", 14, choices=labels(ec.Trade)),
            Column("needs__wished_job", "意向岗位", 12),
            Column("needs__wished_tier", "意向就业地域", 10, show="tier"),
            Column("needs__expected_wage", "期望月薪（元）", 11, "money"),
            Column("needs__training_wish", "培训意愿", 12),
            Column("needs__service_needs", "服务需求", 20, show="needs"),
            Column("needs__service_needs", "有服务需求", 7, "flag", total=True),
            Column("needs__near_home", "只能就近就业", 8, "flag", total=True),
            *[
                Column(f"services_{value}", f"{label}（次）", 9, "int", total=True)
                for value, label in ec.ServiceType.choices
            ],
            Column("services_year", "本年服务合计（次）", 10, "int", total=True),
            Column("last_service", "最近服务日期", 12, "date"),
        ),
    ),
    Ledger(
        id="labor_export",
        title="有组织劳务输出台账",
        description="本年出发（截至截止日期）的劳务输出批次及输出人数",
        period="year",
        source=_labor_export,
        order=("departed_on", "region_id", "id"),
        unit="批",
        columns=(
            *place_columns("region_id"),
            Column("departed_on", "出发日期", 12, "date"),
            Column("mode", "输出方式", 8, choices=labels(ec.ExportMode)),
            Column("destination__name", "目的地", 14, show="place"),
            Column("first_employer", "接收单位", 24),
            Column("employer_count", "接收单位（家）", 9, "int", total=True),
            Column("workers", "建档立卡人员（人）", 10, "int", total=True),
            Column("other_workers", "其他人员（人）", 9, "int", total=True),
            Column("all_workers", "输出合计（人）", 9, "int", total=True),
            Column("free_of_charge", "免费", 6, "flag", total=True),
            Column("cost", "费用（元）", 12, "money", total=True),
        ),
    ),
    Ledger(
        id="jobs",
        title="岗位信息及推送台账",
        description="本年发布（截至截止日期）的岗位信息：本区划的岗位和劳务协作地区的岗位",
        period="year",
        source=_jobs,
        order=("valid_from", "id"),
        unit="条",
        columns=(
            Column("valid_from", "发布日期", 12, "date"),
            Column("employer__name", "用人单位", 24),
            Column("title", "岗位名称", 14),
            Column("trade", "行业", 16, choices=labels(ec.Trade)),
            Column("region__name", "工作地点", 12, show="place"),
            Column("source", "岗位来源", 10, choices=labels(ec.JobSource)),
            Column("openings", "招聘人数", 8, "int", total=True),
            Column("filled", "已招人数", 8, "int", total=True),
            Column("wage_min", "月薪下限（元）", 11, "money"),
            Column("wage_max", "月薪上限（元）", 11, "money"),
            Column("caring_post", "爱心岗位", 7, "flag", total=True),
            Column("events", "参加招聘活动（场）", 10, "int", total=True),
            Column("push_count", "推送（人次）", 8, "int", total=True),
            Column("push_interested", "有意向（人次）", 8, "int", total=True),
            Column("push_hired", "推送录用（人）", 8, "int", total=True),
            Column("valid_to", "截止日期", 12, "date"),
            Column("status", "状态", 8, choices=labels(ec.JobStatus)),
        ),
    ),
    Ledger(
        id="subsidies",
        title="就业扶贫补贴发放台账",
        description="本年发放（截至截止日期）的就业扶贫补贴，每笔已发放的补贴一行",
        period="year",
        source=subsidy_rows,
        order=("region_id", "policy__code", "paid_on", "id"),
        columns=tuple(SUBSIDY_COLUMNS),
    ),
]

LEDGERS: dict[str, Ledger] = {ledger.id: ledger for ledger in LEDGER_LIST}


def get(ledger_id: str) -> Ledger:
    """The ledger named `ledger_id`; KeyError with the known ids otherwise."""
    try:
        return LEDGERS[ledger_id]
    except KeyError:
        raise KeyError(f"未知的台账 {ledger_id}（可选：{'、'.join(LEDGERS)}）") from None


def iter_ledgers(ids: list[str] | None = None) -> Iterator[Ledger]:
    return iter([get(i) for i in ids] if ids else LEDGER_LIST)
