"""Pages for employers, jobs, recruitment events and the measures, declared on the
generic views (fupin.core.generic). Sub-records (placements, loans, enrollments,
participants) live on their parent's page."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, OuterRef, Q, Subquery

from fupin.core.generic import Col, ObjectAction, Resource, masked
from fupin.core.models import jurisdiction_code
from fupin.employment import choices as c
from fupin.employment import measure_filters as f
from fupin.employment import measure_forms as forms
from fupin.employment import models as m

REGION = Col("region.short_name", "所在地", sort="region_id")


def _current(records: Any) -> Any:
    return records.filter(valid_to__isnull=True, status=c.Status.EMPLOYED)


def workshop_employed(queryset: Any) -> Any:
    """`employed`: poor laborers whose current state is employment in the workshop."""
    current = Q(
        employment_records__valid_to__isnull=True,
        employment_records__status=c.Status.EMPLOYED,
        employment_records__form=c.Form.WORKSHOP,
    )
    return queryset.annotate(employed=Count("employment_records", filter=current))


class DistrictWideResource(Resource):
    """Readable district-wide; editable inside one's region, and (at county level) also
    outside the province, like the services allow for 劳务协作 partners."""

    def edit_queryset(self, user: Any) -> Any:
        code = jurisdiction_code(user)
        if code and len(code) <= 6:
            return self.model.objects.filter(
                Q(region__code__startswith=code) | ~Q(region__code__startswith=code[:2])
            )
        return super().edit_queryset(user)


class EmployerResource(DistrictWideResource):
    model = m.Employer
    name = "employer"
    filterset_class = f.EmployerFilter
    form_class = forms.EmployerForm
    select_related = ("region",)
    search_placeholder = "单位名称或统一社会信用代码"
    columns = [
        Col("name", "单位名称", sort="name", width=30),
        Col("credit_code", "统一社会信用代码", sort="credit_code", width=22),
        Col("trade", "行业", sort="trade"),
        REGION,
        Col("contact_name", "联系人"),
        Col("contact_phone", "联系电话"),
    ]
    detail_fields = [*columns, Col("address", "地址")]
    detail_template = "employment/employer_detail.html"

    def detail_context(self, request: Any, obj: Any) -> dict[str, Any]:
        jobs = m.JobPosting.objects.for_user(request.user).filter(employer=obj)
        return {"postings": jobs.select_related("region")[:100], "workshops": obj.workshops.all()}


class JobPostingResource(DistrictWideResource):
    model = m.JobPosting
    name = "job"
    filterset_class = f.JobPostingFilter
    form_class = forms.JobPostingForm
    select_related = ("employer", "region")
    search_placeholder = "岗位名称或单位名称"
    columns = [
        Col("title", "岗位名称", sort="title", width=20),
        Col("employer.name", "用人单位", sort="employer__name", width=30),
        Col("trade", "行业"),
        Col("openings", "招聘人数", sort="openings"),
        Col("wage_min", "月薪下限", sort="wage_min"),
        Col("wage_max", "月薪上限", sort="wage_max"),
        Col("region.short_name", "工作地点", sort="region_id"),
        Col("source", "来源"),
        Col("caring_post", "爱心岗位"),
        Col("valid_from", "发布日期", sort="valid_from"),
        Col("status", "状态", sort="status"),
    ]
    detail_fields = [
        *columns,
        Col("filled", "已招人数"),
        Col("age_min", "年龄下限"),
        Col("age_max", "年龄上限"),
        Col("education_min", "最低学历"),
        Col("skills", "技能要求"),
        Col("physical_demand", "体力要求"),
        Col("sex_requirement", "性别要求"),
        Col("sex_requirement_basis", "性别要求的法律依据"),
        Col("valid_to", "截止日期"),
    ]


class RecruitmentEventResource(Resource):
    model = m.RecruitmentEvent
    name = "recruitment-event"
    filterset_class = f.RecruitmentEventFilter
    form_class = forms.RecruitmentEventForm
    select_related = ("region",)
    search_placeholder = "活动名称或地点"
    columns = [
        Col("name", "活动名称", sort="name", width=30),
        Col("mode", "形式"),
        Col("date", "日期", sort="date"),
        Col("place", "地点", width=20),
        Col("region.short_name", "举办地", sort="region_id"),
        Col("posts_offered", "提供岗位数", sort="posts_offered"),
        Col("attendees", "参会人数", sort="attendees"),
        Col("hires", "达成就业意向", sort="hires"),
    ]
    detail_fields = [
        *columns,
        Col("employers", "参会单位", value=lambda o: "、".join(e.name for e in o.employers.all())),
        Col("postings", "提供岗位", value=lambda o: "、".join(str(p) for p in o.postings.all())),
    ]


class WorkshopResource(Resource):
    model = m.Workshop
    name = "workshop"
    filterset_class = f.WorkshopFilter
    form_class = forms.WorkshopForm
    select_related = ("employer", "region")
    search_placeholder = "车间名称、经营主体或认定文号"
    columns = [
        Col("name", "车间名称", sort="name", width=24),
        Col("employer.name", "经营主体", sort="employer__name", width=30),
        REGION,
        Col("recognized_on", "认定日期", sort="recognized_on"),
        Col("document_number", "认定文号", width=20),
        Col("capacity", "吸纳就业能力", sort="capacity"),
        Col("employed", "吸纳贫困劳动力（人）", sort="employed"),
        Col("revoked_on", "撤销日期", sort="revoked_on"),
    ]
    detail_fields = [*columns, Col("revocation_reason", "撤销原因")]
    detail_template = "employment/workshop_detail.html"

    def annotate(self, queryset: Any) -> Any:
        return workshop_employed(queryset)

    def detail_context(self, request: Any, obj: Any) -> dict[str, Any]:
        staff = _current(obj.employment_records.filter(form=c.Form.WORKSHOP))
        return {
            "staff": staff.select_related("person__household__village"),
            "revoke_form": forms.RevokeWorkshopForm(user=request.user),
            "employ_form": forms.WorkshopEmployForm(user=request.user),
        }


def _holder(field: str) -> Subquery:
    active = m.Placement.objects.filter(post=OuterRef("pk"), end__isnull=True)
    return Subquery(active.values(field)[:1])


class PublicWelfarePostResource(Resource):
    model = m.PublicWelfarePost
    name = "public-welfare-post"
    filterset_class = f.PublicWelfarePostFilter
    form_class = forms.PublicWelfarePostForm
    select_related = ("region",)
    search_placeholder = "岗位名称或用人单位"
    columns = [
        Col("title", "岗位名称", sort="title", width=20),
        Col("post_type", "岗位类型", sort="post_type"),
        Col("unit", "用人单位", width=24),
        REGION,
        Col("full_time", "全日制"),
        Col("monthly_pay", "月工资（元）", sort="monthly_pay"),
        Col("funding", "资金来源"),
        Col("developed_on", "开发日期", sort="developed_on"),
        Col("holder_name", "在岗人员", sort="holder_name"),
        Col("holder_id", "在岗人员证件号码", width=22, value=lambda o: masked(o.holder_id)),
        Col("closed_on", "撤销日期"),
    ]
    detail_fields = columns
    detail_template = "employment/post_detail.html"

    def annotate(self, queryset: Any) -> Any:
        return queryset.annotate(
            holder_name=_holder("person__name"), holder_id=_holder("person__id_number")
        )

    def detail_context(self, request: Any, obj: Any) -> dict[str, Any]:
        placements = obj.placements.select_related("person__household__village")
        active = next((p for p in placements if p.end is None), None)
        return {
            "placements": placements,
            "active": active,
            "place_form": forms.PlaceForm(user=request.user),
            "end_form": forms.EndPlacementForm(
                user=request.user, parent=obj, initial={"placement": active.pk if active else None}
            ),
        }


def _person_cols(prefix: str = "person") -> list[Col]:
    return [
        Col(f"{prefix}.name", "姓名", sort=f"{prefix.replace('.', '__')}__name"),
        Col("id", "证件号码", width=22, value=lambda o: masked(_walk(o, prefix).id_number)),
        Col(f"{prefix}.household.village.short_name", "村（社区）"),
    ]


def _walk(obj: Any, path: str) -> Any:
    for name in path.split("."):
        obj = getattr(obj, name)
    return obj


class StartupResource(Resource):
    model = m.Startup
    name = "startup"
    filterset_class = f.StartupFilter
    form_class = forms.StartupForm
    select_related = ("person__household__village",)
    search_placeholder = "经营主体名称，或创业人姓名、拼音"
    columns = [
        Col("business_name", "经营主体名称", sort="business_name", width=30),
        *_person_cols(),
        Col("started_on", "创业日期", sort="started_on"),
        Col("trade", "行业"),
        Col("jobs_created", "带动就业（人）", sort="jobs_created"),
        Col("loan_total", "贷款金额（元）", sort="loan_total"),
    ]
    detail_fields = columns
    detail_template = "employment/startup_detail.html"

    def annotate(self, queryset: Any) -> Any:
        from django.db.models import Sum

        return queryset.annotate(loan_total=Sum("loans__amount"))

    def detail_context(self, request: Any, obj: Any) -> dict[str, Any]:
        return {"loans": obj.loans.all(), "loan_form": forms.LoanForm(user=request.user)}


class TrainingClassResource(Resource):
    model = m.TrainingClass
    name = "training"
    filterset_class = f.TrainingClassFilter
    form_class = forms.TrainingClassForm
    select_related = ("region",)
    search_placeholder = "培训班名称、机构或工种"
    columns = [
        Col("name", "培训班名称", sort="name", width=30),
        Col("training_type", "培训类型", sort="training_type"),
        Col("provider", "培训机构", width=24),
        REGION,
        Col("start", "开班日期", sort="start"),
        Col("end", "结业日期", sort="end"),
        Col("occupation", "培训工种"),
        Col("subsidy_per_head", "人均补贴（元）"),
        Col("enrolled", "学员数", sort="enrolled"),
    ]
    detail_fields = [*columns, Col("place", "培训地点")]
    detail_template = "employment/training_detail.html"

    def annotate(self, queryset: Any) -> Any:
        return queryset.annotate(enrolled=Count("enrollments"))

    def detail_context(self, request: Any, obj: Any) -> dict[str, Any]:
        # Trainees shown are those in the user's jurisdiction (a class may be county-wide).
        enrollments = m.Enrollment.objects.for_user(request.user).filter(training=obj)
        return {
            "enrollments": enrollments.select_related("person__household__village"),
            "enroll_form": forms.EnrollForm(user=request.user),
        }


class ExportBatchResource(Resource):
    model = m.ExportBatch
    name = "export-batch"
    filterset_class = f.ExportBatchFilter
    form_class = forms.ExportBatchForm
    select_related = ("region", "destination")
    search_placeholder = "目的地名称"
    columns = [
        Col("departed_on", "出发日期", sort="departed_on"),
        Col("mode", "方式", sort="mode"),
        Col("region.short_name", "输出地", sort="region_id"),
        Col("destination.name", "目的地", sort="destination_id"),
        Col("participant_count", "建档立卡人数", sort="participant_count"),
        Col("other_workers", "非建档立卡人数"),
        Col("free_of_charge", "免费"),
        Col("cost", "费用（元）"),
    ]
    detail_fields = [
        *columns,
        Col("employers", "接收单位", value=lambda o: "、".join(e.name for e in o.employers.all())),
    ]
    detail_template = "employment/export_batch_detail.html"

    def annotate(self, queryset: Any) -> Any:
        return queryset.annotate(participant_count=Count("participants"))

    def detail_context(self, request: Any, obj: Any) -> dict[str, Any]:
        people = m.ExportParticipant.objects.for_user(request.user).filter(batch=obj)
        return {
            "participants": people.select_related("person__household__village"),
            "participant_form": forms.ParticipantForm(user=request.user),
        }


employers = EmployerResource()
jobs = JobPostingResource()
events = RecruitmentEventResource()
workshops = WorkshopResource()
posts = PublicWelfarePostResource()
startups = StartupResource()
trainings = TrainingClassResource()
batches = ExportBatchResource()


def action(resource: Resource, form_class: Any, parent_scope: str = "edit") -> Any:
    return ObjectAction.as_view(resource=resource, form_class=form_class, parent_scope=parent_scope)
