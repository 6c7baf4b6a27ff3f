"""Employment assistance records (domain.md §3).

Laborers are not a table: they are registered persons of working age with labor ability
(see selectors.laborers), so the set follows the registry by itself. What is stored per
person is dated: every change of employment is a new EmploymentRecord whose valid_to
closes the previous one, so the state on any past date stays answerable.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from fupin.core.models import DistrictWideQuerySet, ScopedModel, ScopedQuerySet, TimestampedModel
from fupin.employment import choices as c

PERSON_SCOPE = "person__household__village__code"
MONEY = {"max_digits": 12, "decimal_places": 2}


class PersonRecord(TimestampedModel):
    """A record about one registered person, scoped through their household's village."""

    scope_field = PERSON_SCOPE
    objects = ScopedQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def region_code(self) -> str:
        return self.person.household.village_id


class Employer(ScopedModel):
    """Employers are visible district-wide (see DistrictWideQuerySet)."""

    credit_code = models.CharField("统一社会信用代码", max_length=18, unique=True)
    name = models.CharField("单位名称", max_length=200)
    region = models.ForeignKey(
        "regions.Region", verbose_name="所在地", on_delete=models.PROTECT, related_name="+"
    )
    trade = models.CharField("行业", max_length=1, choices=c.Trade.choices)
    contact_name = models.CharField("联系人", max_length=50, blank=True)
    contact_phone = models.CharField("联系电话", max_length=20, blank=True)
    address = models.CharField("地址", max_length=200, blank=True)

    objects = DistrictWideQuerySet.as_manager()

    class Meta:
        verbose_name = "用人单位"
        verbose_name_plural = "用人单位"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Workshop(ScopedModel):
    name = models.CharField("车间名称", max_length=200)
    employer = models.ForeignKey(
        Employer, verbose_name="经营主体", on_delete=models.PROTECT, related_name="workshops"
    )
    region = models.ForeignKey(
        "regions.Region", verbose_name="所在村（社区）", on_delete=models.PROTECT, related_name="+"
    )
    recognized_on = models.DateField("认定日期")
    document_number = models.CharField("认定文号", max_length=100)
    capacity = models.PositiveIntegerField("吸纳就业能力（人）", default=0)
    revoked_on = models.DateField("撤销日期", null=True, blank=True)
    revocation_reason = models.CharField("撤销原因", max_length=200, blank=True)

    class Meta:
        verbose_name = "扶贫车间"
        verbose_name_plural = "扶贫车间"
        ordering = ["region_id", "name"]

    def __str__(self) -> str:
        return self.name


class PublicWelfarePost(ScopedModel):
    title = models.CharField("岗位名称", max_length=100)
    post_type = models.CharField("岗位类型", max_length=20, choices=c.PostType.choices)
    unit = models.CharField("用人单位", max_length=200)
    region = models.ForeignKey(
        "regions.Region", verbose_name="所在地", on_delete=models.PROTECT, related_name="+"
    )
    full_time = models.BooleanField("全日制", default=True)
    monthly_pay = models.DecimalField("月工资（元）", **MONEY)
    funding = models.CharField("资金来源", max_length=20, choices=c.Funding.choices)
    developed_on = models.DateField("开发日期")
    closed_on = models.DateField("撤销日期", null=True, blank=True)

    class Meta:
        verbose_name = "公益性岗位"
        verbose_name_plural = "公益性岗位"
        ordering = ["region_id", "title", "id"]

    def __str__(self) -> str:
        return self.title


class Placement(PersonRecord):
    """A person on a public-welfare post; one holder per post at a time."""

    post = models.ForeignKey(
        PublicWelfarePost, verbose_name="岗位", on_delete=models.PROTECT, related_name="placements"
    )
    person = models.ForeignKey(
        "registry.Person", verbose_name="人员", on_delete=models.PROTECT, related_name="placements"
    )
    start = models.DateField("上岗日期")
    end = models.DateField("离岗日期", null=True, blank=True)
    end_reason = models.CharField("离岗原因", max_length=200, blank=True)

    class Meta:
        verbose_name = "公益性岗位安置"
        verbose_name_plural = "公益性岗位安置"
        ordering = ["-start", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["post"], condition=Q(end__isnull=True), name="one_holder_per_post"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} @ {self.post}"


class Startup(PersonRecord):
    person = models.ForeignKey(
        "registry.Person", verbose_name="创业人", on_delete=models.PROTECT, related_name="startups"
    )
    business_name = models.CharField("经营主体名称", max_length=200)
    started_on = models.DateField("创业日期")
    trade = models.CharField("行业", max_length=1, choices=c.Trade.choices)
    jobs_created = models.PositiveIntegerField("带动就业（人）", default=0)

    class Meta:
        verbose_name = "自主创业"
        verbose_name_plural = "自主创业"
        ordering = ["-started_on", "id"]

    def __str__(self) -> str:
        return self.business_name


class Loan(TimestampedModel):
    startup = models.ForeignKey(
        Startup, verbose_name="创业项目", on_delete=models.PROTECT, related_name="loans"
    )
    bank = models.CharField("贷款银行", max_length=100)
    amount = models.DecimalField("贷款金额（元）", **MONEY)
    granted_on = models.DateField("放款日期", null=True, blank=True)
    term_months = models.PositiveSmallIntegerField("期限（月）", default=24)
    interest_free = models.BooleanField("免息（全额贴息）", default=True)
    status = models.CharField("状态", max_length=10, choices=c.LoanStatus.choices)

    scope_field = "startup__person__household__village__code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "创业担保贷款"
        verbose_name_plural = "创业担保贷款"
        ordering = ["-granted_on", "id"]

    def __str__(self) -> str:
        return f"{self.startup} {self.amount}"


class TrainingClass(ScopedModel):
    """Classes are run for the whole district (see DistrictWideQuerySet): every township
    enrolls its own laborers; the class itself is edited where it is held."""

    objects = DistrictWideQuerySet.as_manager()
    name = models.CharField("培训班名称", max_length=200)
    training_type = models.CharField("培训类型", max_length=20, choices=c.TrainingType.choices)
    provider = models.CharField("培训机构", max_length=200)
    region = models.ForeignKey(
        "regions.Region", verbose_name="举办地", on_delete=models.PROTECT, related_name="+"
    )
    start = models.DateField("开班日期")
    end = models.DateField("结业日期")
    place = models.CharField("培训地点", max_length=200, blank=True)
    occupation = models.CharField("培训工种", max_length=100, blank=True)
    subsidy_per_head = models.DecimalField("人均补贴（元）", default=0, **MONEY)

    class Meta:
        verbose_name = "培训班"
        verbose_name_plural = "培训班"
        ordering = ["-start", "id"]

    def __str__(self) -> str:
        return self.name


class Enrollment(PersonRecord):
    training = models.ForeignKey(
        TrainingClass, verbose_name="培训班", on_delete=models.PROTECT, related_name="enrollments"
    )
    person = models.ForeignKey(
        "registry.Person", verbose_name="学员", on_delete=models.PROTECT, related_name="enrollments"
    )
    completed = models.BooleanField("结业", default=False)
    certificate = models.CharField("证书", max_length=100, blank=True)
    employed_after = models.BooleanField("培训后就业", default=False)

    class Meta:
        verbose_name = "培训学员"
        verbose_name_plural = "培训学员"
        ordering = ["training_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["training", "person"], name="one_enrollment_per_class")
        ]

    def __str__(self) -> str:
        return f"{self.person} @ {self.training}"


class ExportBatch(ScopedModel):
    """有组织劳务输出: a batch of workers sent together (专车/专机/包机/火车). Batches are
    organised for the whole district (visible district-wide; each township adds its own
    laborers); the batch itself is edited where it departs from."""

    objects = DistrictWideQuerySet.as_manager()

    departed_on = models.DateField("出发日期")
    mode = models.CharField("方式", max_length=10, choices=c.ExportMode.choices)
    region = models.ForeignKey(
        "regions.Region", verbose_name="输出地", on_delete=models.PROTECT, related_name="+"
    )
    destination = models.ForeignKey(
        "regions.Region", verbose_name="目的地", on_delete=models.PROTECT, related_name="+"
    )
    employers = models.ManyToManyField(Employer, verbose_name="接收单位", blank=True)
    free_of_charge = models.BooleanField("免费", default=True)
    cost = models.DecimalField("费用（元）", default=0, **MONEY)
    other_workers = models.PositiveIntegerField("非建档立卡人数", default=0)

    class Meta:
        verbose_name = "劳务输出批次"
        verbose_name_plural = "劳务输出批次"
        ordering = ["-departed_on", "id"]

    def __str__(self) -> str:
        return f"{self.departed_on} {self.get_mode_display()} → {self.destination}"


class ExportParticipant(PersonRecord):
    batch = models.ForeignKey(
        ExportBatch, verbose_name="批次", on_delete=models.PROTECT, related_name="participants"
    )
    person = models.ForeignKey(
        "registry.Person", verbose_name="人员", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "劳务输出人员"
        verbose_name_plural = "劳务输出人员"
        constraints = [
            models.UniqueConstraint(fields=["batch", "person"], name="one_seat_per_batch")
        ]

    def __str__(self) -> str:
        return f"{self.person} @ {self.batch}"


class EmploymentRecord(PersonRecord):
    """One dated state of a laborer's employment; the open one (valid_to null) is current."""

    person = models.ForeignKey(
        "registry.Person",
        verbose_name="人员",
        on_delete=models.PROTECT,
        related_name="employment_records",
    )
    valid_from = models.DateField("自")
    valid_to = models.DateField("至", null=True, blank=True)
    status = models.CharField("就业状态", max_length=20, choices=c.Status.choices)
    not_seeking_reason = models.CharField(
        "无就业意愿原因", max_length=20, choices=c.NotSeekingReason.choices, blank=True
    )
    form = models.CharField("就业形式", max_length=20, choices=c.Form.choices, blank=True)
    location_tier = models.CharField(
        "就业地域", max_length=20, choices=c.LocationTier.choices, blank=True
    )
    destination = models.ForeignKey(
        "regions.Region",
        verbose_name="务工地",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    employer = models.ForeignKey(
        Employer, verbose_name="用人单位", null=True, blank=True, on_delete=models.PROTECT
    )
    employer_name = models.CharField("用人单位名称", max_length=200, blank=True)
    workshop = models.ForeignKey(
        Workshop,
        verbose_name="扶贫车间",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="employment_records",
    )
    placement = models.ForeignKey(
        Placement, verbose_name="公益性岗位安置", null=True, blank=True, on_delete=models.PROTECT
    )
    export_batch = models.ForeignKey(
        ExportBatch, verbose_name="劳务输出批次", null=True, blank=True, on_delete=models.PROTECT
    )
    trade = models.CharField("行业", max_length=1, choices=c.Trade.choices, blank=True)
    start_date = models.DateField("就业开始日期", null=True, blank=True)
    end_date = models.DateField("就业结束日期", null=True, blank=True)
    monthly_income = models.DecimalField("月收入（元）", null=True, blank=True, **MONEY)
    channel = models.CharField("就业渠道", max_length=20, choices=c.Channel.choices, blank=True)
    has_contract = models.BooleanField("签订劳动合同", default=False)
    has_social_insurance = models.BooleanField("参加社会保险", default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="填报人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "就业情况"
        verbose_name_plural = "就业情况"
        ordering = ["person_id", "-valid_from", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=Q(valid_to__isnull=True), name="one_current_state"
            )
        ]
        indexes = [models.Index(fields=["person", "valid_from"], name="employment_history_idx")]

    def __str__(self) -> str:
        return f"{self.person} {self.get_status_display()} {self.valid_from}"

    @property
    def transferred(self) -> bool:
        """转移就业: employed in non-farm work, anywhere."""
        return self.status == c.Status.EMPLOYED and self.form != c.Form.FARMING


class Needs(PersonRecord):
    person = models.OneToOneField(
        "registry.Person", verbose_name="人员", on_delete=models.PROTECT, related_name="needs"
    )
    wished_trade = models.CharField("意向行业", max_length=1, choices=c.Trade.choices, blank=True)
    wished_job = models.CharField("意向岗位", max_length=100, blank=True)
    wished_tier = models.CharField(
        "意向就业地域", max_length=20, choices=c.LocationTier.choices, blank=True
    )
    wished_region = models.ForeignKey(
        "regions.Region",
        verbose_name="意向务工地",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    expected_wage = models.DecimalField("期望月薪（元）", null=True, blank=True, **MONEY)
    training_wish = models.CharField("培训意愿", max_length=100, blank=True)
    service_needs = models.JSONField("服务需求", default=list, blank=True)
    near_home = models.BooleanField("只能就近就业", default=False)

    class Meta:
        verbose_name = "就业需求"
        verbose_name_plural = "就业需求"

    def __str__(self) -> str:
        return f"{self.person} 需求"


class Service(PersonRecord):
    person = models.ForeignKey(
        "registry.Person", verbose_name="人员", on_delete=models.PROTECT, related_name="services"
    )
    service_type = models.CharField("服务类型", max_length=20, choices=c.ServiceType.choices)
    date = models.DateField("服务日期")
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="服务人员",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    staff_name = models.CharField("服务人员姓名", max_length=50, blank=True)
    note = models.CharField("说明", max_length=500, blank=True)

    class Meta:
        verbose_name = "就业服务"
        verbose_name_plural = "就业服务"
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["date", "person"], name="service_date_idx")]

    def __str__(self) -> str:
        return f"{self.person} {self.get_service_type_display()} {self.date}"


class Verification(PersonRecord):
    """A monthly check (核实) that a laborer's recorded state is still true."""

    person = models.ForeignKey(
        "registry.Person",
        verbose_name="人员",
        on_delete=models.PROTECT,
        related_name="verifications",
    )
    verified_on = models.DateField("核实日期")
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="核实人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    changed = models.BooleanField("情况有变化", default=False)

    class Meta:
        verbose_name = "核实记录"
        verbose_name_plural = "核实记录"
        ordering = ["-verified_on", "-id"]
        indexes = [models.Index(fields=["person", "verified_on"], name="verification_idx")]

    def __str__(self) -> str:
        return f"{self.person} {self.verified_on}"


class JobPosting(ScopedModel):
    """Postings are visible district-wide (see DistrictWideQuerySet)."""

    employer = models.ForeignKey(
        Employer, verbose_name="用人单位", on_delete=models.PROTECT, related_name="postings"
    )
    title = models.CharField("岗位名称", max_length=100)
    trade = models.CharField("行业", max_length=1, choices=c.Trade.choices)
    openings = models.PositiveIntegerField("招聘人数")
    filled = models.PositiveIntegerField("已招人数", default=0)
    wage_min = models.DecimalField("月薪下限（元）", null=True, blank=True, **MONEY)
    wage_max = models.DecimalField("月薪上限（元）", null=True, blank=True, **MONEY)
    region = models.ForeignKey(
        "regions.Region", verbose_name="工作地点", on_delete=models.PROTECT, related_name="+"
    )
    age_min = models.PositiveSmallIntegerField("年龄下限", null=True, blank=True)
    age_max = models.PositiveSmallIntegerField("年龄上限", null=True, blank=True)
    education_min = models.CharField("最低学历", max_length=20, blank=True)
    skills = models.CharField("技能要求", max_length=200, blank=True)
    physical_demand = models.CharField(
        "体力要求", max_length=10, choices=c.PhysicalDemand.choices, default=c.PhysicalDemand.LIGHT
    )
    sex_requirement = models.CharField("性别要求", max_length=6, blank=True)
    sex_requirement_basis = models.CharField("性别要求的法律依据", max_length=200, blank=True)
    source = models.CharField("岗位来源", max_length=20, choices=c.JobSource.choices)
    valid_from = models.DateField("发布日期")
    valid_to = models.DateField("截止日期", null=True, blank=True)
    caring_post = models.BooleanField("爱心岗位", default=False)
    status = models.CharField(
        "状态", max_length=10, choices=c.JobStatus.choices, default=c.JobStatus.OPEN
    )

    objects = DistrictWideQuerySet.as_manager()

    class Meta:
        verbose_name = "岗位信息"
        verbose_name_plural = "岗位信息"
        ordering = ["-valid_from", "id"]

    def __str__(self) -> str:
        return f"{self.employer} {self.title}"


class RecruitmentEvent(ScopedModel):
    name = models.CharField("活动名称", max_length=200)
    mode = models.CharField("形式", max_length=10, choices=c.EventMode.choices)
    date = models.DateField("日期")
    place = models.CharField("地点", max_length=200, blank=True)
    region = models.ForeignKey(
        "regions.Region", verbose_name="举办地", on_delete=models.PROTECT, related_name="+"
    )
    employers = models.ManyToManyField(Employer, verbose_name="参会单位", blank=True)
    postings = models.ManyToManyField(JobPosting, verbose_name="提供岗位", blank=True)
    posts_offered = models.PositiveIntegerField("提供岗位数", default=0)
    attendees = models.PositiveIntegerField("参会人数", default=0)
    hires = models.PositiveIntegerField("达成就业意向", default=0)

    class Meta:
        verbose_name = "招聘活动"
        verbose_name_plural = "招聘活动"
        ordering = ["-date", "id"]

    def __str__(self) -> str:
        return self.name
