"""Supervision (督导核查): reproducible sampling, phone verification, rectification with
holiday-aware deadlines, the notice; permission matrix of every page; CLI shapes."""

from __future__ import annotations

import datetime
import io
import json
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fupin.accounts.services import create_user
from fupin.core.context import acting_as
from fupin.core.models import AuditLog
from fupin.employment.models import (
    Employer,
    EmploymentRecord,
    Placement,
    PublicWelfarePost,
    Workshop,
)
from fupin.supervision import choices as c
from fupin.supervision import services
from fupin.supervision.models import (
    CallTask,
    RectificationTask,
    SampleItem,
    SamplingPlan,
)
from fupin.supervision.notice import notice_rows
from fupin.supervision.sampling import (
    allocation,
    draw_group,
    draw_plan,
    draw_sample,
    per_township,
    verify_plan,
)
from fupin.supervision.workdays import add_workdays
from tests.conftest import (
    FENGSHAN,
    FENGSHAN_OTHER_VILLAGE,
    FENGSHAN_VILLAGE,
    FURONG,
    FURONG_VILLAGE,
    PASSWORD,
    WULONG,
    new_id,
)

pytestmark = pytest.mark.django_db
D = datetime.date
TODAY = datetime.date.today()


def adult(name: str, phone: str = "") -> dict:
    return {
        "relation": "son",
        "name": name,
        "id_number": new_id(D(1990, 3, 1)),
        "labor_ability": "ordinary",
        "phone": phone,
    }


@pytest.fixture
def district(household_factory, supervisor):
    """凤山街道: 5 households × 4 laborers (20) over two villages; 芙蓉街道: 1 household × 2."""
    fengshan = []
    for i in range(5):
        village = FENGSHAN_VILLAGE if i < 3 else FENGSHAN_OTHER_VILLAGE
        household = household_factory(
            village,
            head_name=f"凤{i}",
            phone=f"1380000{i:04d}",
            members=[adult(f"凤{i}子{j}", phone=f"1390000{i}{j:03d}") for j in range(3)],
        )
        fengshan.append(household)
    furong = household_factory(FURONG_VILLAGE, head_name="芙蓉户主", members=[adult("芙蓉子")])
    return {"fengshan": fengshan, "furong": furong}


def draw(user, **kw):
    params = {
        "population": "laborers",
        "region_code": WULONG,
        "proportion": Decimal("0.25"),
        "minimum": 3,
    }
    params.update(kw)
    return draw_sample(acting_user=user, **params)


def client(user) -> Client:
    c_ = Client()
    if user is not None:
        c_.force_login(user)
    return c_


# --- Sampling ---------------------------------------------------------------------------


def test_allocation_with_minimum_and_cap():
    assert allocation(100, Decimal("0.05"), 3) == 5
    assert allocation(101, Decimal("0.05"), 3) == 6  # ceil
    assert allocation(20, Decimal("0.05"), 3) == 3  # the minimum
    assert allocation(2, Decimal("0.05"), 3) == 2  # fewer records: all of them
    assert allocation(0, Decimal("0.5"), 3) == 0


def test_same_seed_same_sample():
    ids = list(range(1, 200))
    first = draw_group("abc", FENGSHAN, "", ids, 10)
    assert first == draw_group("abc", FENGSHAN, "", ids, 10)
    assert first != draw_group("abd", FENGSHAN, "", ids, 10)
    assert len(set(first)) == 10 and set(first) <= set(ids)


def test_draw_allocates_per_township_and_audits(district, supervisor):
    with acting_as(supervisor, source="web"):
        plan = draw(supervisor)
    rows = {r["township"]: r for r in per_township(plan)}
    assert rows[FENGSHAN]["size"] == 20 and rows[FENGSHAN]["drawn"] == 5  # ⌈0.25 × 20⌉
    assert rows[FURONG]["size"] == 2 and rows[FURONG]["drawn"] == 2  # fewer than the minimum
    assert SampleItem.objects.filter(plan=plan).count() == 7
    assert CallTask.objects.filter(item__plan=plan, assignee=supervisor).count() == 7
    assert len(plan.seed) == 32 and plan.drawn_at is not None
    entry = AuditLog.objects.get(object_type="supervision.samplingplan", object_id=str(plan.pk))
    assert entry.changes["seed"] == plan.seed
    assert entry.username == "supervisor"
    report = verify_plan(plan)
    assert report["matches"] and report["population_unchanged"]


def test_stored_draw_is_the_seeded_draw(district, supervisor):
    plan = draw(supervisor)
    group = plan.groups.get(township_id=FENGSHAN)
    expected = draw_group(plan.seed, FENGSHAN, "", group.population_ids, 5)
    stored = list(group.items.order_by("order").values_list("object_id", flat=True))
    assert stored == expected
    # The population is in a fixed order: village, then primary key.
    assert group.population_ids == sorted(
        group.population_ids,
        key=lambda pk: (FENGSHAN_VILLAGE if pk in _ids(district, 3) else "z", pk),
    )


def _ids(district, first_n):
    return {p.pk for h in district["fengshan"][:first_n] for p in h.members.all()}


def test_village_strata(district, supervisor):
    plan = draw(supervisor, strata="village", proportion=Decimal("0.1"), minimum=2)
    groups = {(g.township_id, g.stratum): g.drawn for g in plan.groups.all()}
    assert groups == {
        (FENGSHAN, FENGSHAN_VILLAGE): 2,
        (FENGSHAN, FENGSHAN_OTHER_VILLAGE): 2,
        (FURONG, FURONG_VILLAGE): 2,
    }
    assert verify_plan(plan)["matches"]


def test_drawn_plan_cannot_be_redrawn_or_duplicated(district, supervisor):
    plan = draw(supervisor)
    with pytest.raises(ValidationError, match="已抽取"):
        draw_plan(acting_user=supervisor, plan=plan)
    item = plan.items.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        SampleItem.objects.create(
            plan=plan,
            group=item.group,
            township_id=item.township_id,
            region_id=item.region_id,
            content_type=item.content_type,
            object_id=item.object_id,
            household_id=item.household_id,
            person_id=item.person_id,
            order=99,
        )


def test_verify_detects_tampering(district, supervisor):
    plan = draw(supervisor)
    item = plan.items.filter(township_id=FENGSHAN).first()
    CallTask.objects.filter(item=item).delete()
    item.delete()
    report = verify_plan(plan)
    assert not report["matches"]
    bad = [g for g in report["groups"] if not g["matches"]]
    assert bad == [
        {"township": FENGSHAN, "stratum": "", "expected": 5, "actual": 4, "matches": False}
    ]
    plan2 = draw(supervisor)
    SamplingPlan.objects.filter(pk=plan2.pk).update(seed="0" * 32)  # a steered seed
    plan2.refresh_from_db()
    assert not verify_plan(plan2)["matches"]


def test_population_change_is_reported_but_does_not_break_verify(
    district, supervisor, household_factory
):
    plan = draw(supervisor)
    household_factory(FENGSHAN_VILLAGE, members=[adult("新来的")])
    report = verify_plan(plan)
    assert report["matches"] and not report["population_unchanged"]


def test_other_populations(district, supervisor):
    households = draw(supervisor, population="households", proportion=Decimal("0.5"), minimum=1)
    rows = {r["township"]: r["drawn"] for r in per_township(households)}
    assert rows == {FENGSHAN: 3, FURONG: 1}
    task = CallTask.objects.filter(item__plan=households).first()
    assert {f["key"] for f in services.call_facts(task)} == {
        "number",
        "head",
        "village",
        "members",
        "status",
    }
    empty = draw(supervisor, population="placements")
    assert empty.items.count() == 0 and verify_plan(empty)["matches"]


def test_draw_refused_for_wrong_role_outside_and_without_supervisors(
    district, supervisor, township_operator, outside_admin, county_admin
):
    with pytest.raises(PermissionDenied):
        draw(township_operator)
    with pytest.raises(PermissionDenied):
        draw(outside_admin)
    with pytest.raises(PermissionDenied):
        draw(supervisor, region_code="500119")
    with pytest.raises(ValidationError, match="比例"):
        draw(supervisor, proportion=Decimal("1.5"))
    supervisor.is_active = False
    supervisor.save()
    with pytest.raises(ValidationError, match="没有督导员"):
        draw(county_admin)


def test_round_robin_and_named_assignee(district, supervisor, county_admin):
    second = create_user(
        acting_user=None,
        username="supervisor2",
        role="supervisor",
        region_code=WULONG,
        password=PASSWORD,
    )
    plan = draw(county_admin)
    counts = {
        u: CallTask.objects.filter(item__plan=plan, assignee__username=u).count()
        for u in ("supervisor", "supervisor2")
    }
    assert counts == {"supervisor": 4, "supervisor2": 3}
    named = draw(county_admin, assignee=second)
    assert set(CallTask.objects.filter(item__plan=named).values_list("assignee", flat=True)) == {
        second.pk
    }


# --- Calls -------------------------------------------------------------------------------


@pytest.fixture
def plan(district, supervisor):
    return draw(supervisor)


def fengshan_task(plan):
    return CallTask.objects.filter(item__plan=plan, item__township_id=FENGSHAN).first()


def test_call_page_masks_phone_and_reveal_is_audited(plan, supervisor, county_admin):
    task = fengshan_task(plan)
    phone = services.phone_of(task)
    url = reverse("supervision-call", kwargs={"pk": task.pk})
    body = client(supervisor).get(url).content.decode()
    assert services.mask_phone(phone) in body and phone not in body
    for fact in ("姓名", "就业状态", "月收入"):
        assert fact in body
    reveal = reverse("supervision-call-phone", kwargs={"pk": task.pk})
    assert client(supervisor).get(reveal).status_code == 405
    response = client(supervisor).post(reveal)
    assert phone in response.content.decode()
    assert AuditLog.objects.filter(action="view_phone", object_id=str(task.pk)).count() == 1
    # Not the assignee (a county admin may see the task, not the number).
    assert client(county_admin).get(url).status_code == 200
    assert phone not in client(county_admin).get(url).content.decode()
    assert client(county_admin).post(reveal).status_code == 403


def test_true_result_closes_task(plan, supervisor):
    task = fengshan_task(plan)
    services.record_call(acting_user=supervisor, task=task, result="true", notes="本人确认")
    task.refresh_from_db()
    assert task.status == c.CallStatus.DONE and task.attempts == 1
    assert not RectificationTask.objects.exists()
    with pytest.raises(ValidationError, match="已完成"):
        services.record_call(acting_user=supervisor, task=task, result="true")


def test_false_result_opens_rectification_for_the_township(plan, supervisor):
    task = fengshan_task(plan)
    with pytest.raises(ValidationError):
        services.record_call(acting_user=supervisor, task=task, result="false")
    services.record_call(
        acting_user=supervisor,
        task=task,
        result="false",
        wrong_fact="employer",
        true_value="在重庆某建筑公司务工",
    )
    rect = RectificationTask.objects.get(call=task)
    assert rect.township_id == FENGSHAN and rect.region_id == task.region_id
    assert "用人单位" in rect.problem and rect.status == c.RectificationStatus.PENDING
    assert rect.deadline == add_workdays(TODAY, 5)


def test_unreachable_retries_up_to_max(plan, supervisor, settings):
    settings.FUPIN_SUPERVISION_MAX_ATTEMPTS = 2
    task = fengshan_task(plan)
    services.record_call(acting_user=supervisor, task=task, result="unreachable")
    task.refresh_from_db()
    assert task.status == c.CallStatus.OPEN and task.attempts == 1
    services.record_call(acting_user=supervisor, task=task, result="unreachable")
    task.refresh_from_db()
    assert task.status == c.CallStatus.UNREACHABLE and task.attempts == 2
    assert task.attempt_log.count() == 2
    with pytest.raises(ValidationError):
        services.record_call(acting_user=supervisor, task=task, result="true")


def test_only_the_assignee_records(plan, county_admin):
    task = fengshan_task(plan)
    with pytest.raises(PermissionDenied):
        services.record_call(acting_user=county_admin, task=task, result="true")
    url = reverse("supervision-call", kwargs={"pk": task.pk})
    assert client(county_admin).post(url, {"result": "true"}).status_code == 403


def test_call_result_by_page_goes_to_next_task(plan, supervisor):
    task = fengshan_task(plan)
    url = reverse("supervision-call", kwargs={"pk": task.pk})
    response = client(supervisor).post(
        url, {"result": "info_error", "notes": "户籍所在村填错", "called_at": "2026-11-02T10:30"}
    )
    assert response.status_code == 302
    assert "/supervision/calls/" in response["Location"]
    task.refresh_from_db()
    assert task.result == "info_error" and task.called_at.date() == D(2026, 11, 2)
    assert RectificationTask.objects.filter(call=task).exists()
    # A false result without the fact stays on the page with a message.
    other = CallTask.objects.filter(item__plan=plan, status="open").first()
    page = client(supervisor).post(
        reverse("supervision-call", kwargs={"pk": other.pk}), {"result": "false"}
    )
    assert page.status_code == 200 and "请选择哪一项信息不属实" in page.content.decode()


# --- Rectification -----------------------------------------------------------------------


def test_deadlines_skip_weekends_and_holidays():
    assert add_workdays(D(2026, 11, 20), 5) == D(2026, 11, 27)  # Friday → next Friday
    # Before 国庆 2026 (1–7 October off, Saturday 10 October worked).
    assert add_workdays(D(2026, 9, 30), 5) == D(2026, 10, 13)
    assert add_workdays(D(2026, 9, 30), 1) == D(2026, 10, 8)
    # A year the calendar does not know yet: Monday–Friday.
    assert add_workdays(D(2099, 1, 2), 1) == D(2099, 1, 5)


def rect_task(plan, supervisor, today=None):
    task = fengshan_task(plan)
    services.record_call(
        acting_user=supervisor, task=task, result="false", wrong_fact="income", true_value="2000"
    )
    rect = RectificationTask.objects.get(call=task)
    if today is not None:
        rect.deadline = add_workdays(today, 5)
        rect.save()
    return rect


def test_deadline_of_a_task_created_before_national_day(plan, supervisor):
    task = CallTask.objects.filter(item__plan=plan).first()
    rect = services.create_rectification(
        source="call",
        region_code=task.region_id,
        content_type=task.item.content_type,
        object_id=task.item.object_id,
        subject="测试",
        problem="测试",
        today=D(2026, 9, 30),
    )
    assert rect.deadline == D(2026, 10, 13)
    assert rect.is_overdue(D(2026, 10, 14)) and not rect.is_overdue(D(2026, 10, 13))


def test_overdue_marking_on_read(plan, supervisor, township_operator):
    rect = rect_task(plan, supervisor)
    RectificationTask.objects.filter(pk=rect.pk).update(deadline=TODAY - datetime.timedelta(1))
    rect.refresh_from_db()
    assert rect.overdue and rect.status_label == "逾期"
    url = reverse("supervision-rectifications") + "?status=overdue"
    listing = client(township_operator).get(url)
    assert rect.subject in listing.content.decode() and "逾期" in listing.content.decode()
    rect.status = c.RectificationStatus.CLOSED
    rect.save()
    assert not rect.overdue and rect.status_label == "已销号"


def test_rectification_workflow(plan, supervisor, township_operator, other_township_operator):
    rect = rect_task(plan, supervisor)
    with pytest.raises(PermissionDenied):
        services.start_rectification(acting_user=other_township_operator, task=rect)
    with pytest.raises(PermissionDenied):  # a supervisor reviews, the township works
        services.start_rectification(acting_user=supervisor, task=rect)
    base = f"/supervision/rectifications/{rect.pk}/"
    op = client(township_operator)
    assert op.post(base + "start/").status_code == 302
    rect.refresh_from_db()
    assert rect.status == c.RectificationStatus.IN_PROGRESS
    op.post(base + "submit/", {"evidence": ""})
    rect.refresh_from_db()
    assert rect.status == c.RectificationStatus.IN_PROGRESS  # evidence required
    op.post(base + "submit/", {"evidence": "已更正月收入为 2000 元"})
    rect.refresh_from_db()
    assert rect.status == c.RectificationStatus.AWAITING_REVIEW
    assert op.post(base + "review/", {"decision": "approve"}).status_code == 403
    sup = client(supervisor)
    sup.post(base + "review/", {"decision": "return", "note": "未附证明"})
    rect.refresh_from_db()
    assert rect.status == c.RectificationStatus.IN_PROGRESS and rect.review_note == "未附证明"
    services.submit_rectification(acting_user=township_operator, task=rect, evidence="已补证明")
    sup.post(base + "review/", {"decision": "approve"})
    rect.refresh_from_db()
    assert rect.status == c.RectificationStatus.CLOSED and rect.closed_at is not None
    steps = AuditLog.objects.filter(
        object_type="supervision.rectificationtask", object_id=str(rect.pk)
    ).values_list("message", flat=True)
    assert {"生成整改任务", "开始整改", "复核退回", "复核通过，销号"} <= set(steps)


def test_township_staff_see_only_their_tasks(
    plan, supervisor, township_operator, other_township_operator, village_clerk
):
    rect = rect_task(plan, supervisor)
    furong = CallTask.objects.filter(item__plan=plan, item__township_id=FURONG).first()
    services.record_call(acting_user=supervisor, task=furong, result="info_error", notes="错")
    url = reverse("supervision-rectifications")
    mine = client(township_operator).get(url).content.decode()
    theirs = client(other_township_operator).get(url).content.decode()
    assert rect.subject in mine and rect.subject not in theirs
    assert furong.item.person.name in theirs and furong.item.person.name not in mine
    detail = reverse("supervision-rectification", kwargs={"pk": rect.pk})
    assert client(other_township_operator).get(detail).status_code == 404
    clerk_sees = rect.region_id == FENGSHAN_VILLAGE
    assert client(village_clerk).get(detail).status_code == (200 if clerk_sees else 404)


# --- Notice ------------------------------------------------------------------------------


def test_notice_figures_against_independent_counts(plan, supervisor, leader):
    tasks = list(CallTask.objects.filter(item__plan=plan).order_by("id"))
    services.record_call(acting_user=supervisor, task=tasks[0], result="true")
    services.record_call(acting_user=supervisor, task=tasks[1], result="true")
    services.record_call(
        acting_user=supervisor, task=tasks[2], result="false", wrong_fact="name", true_value="张三"
    )
    services.record_call(acting_user=supervisor, task=tasks[3], result="unreachable")
    overdue = RectificationTask.objects.get(call=tasks[2])
    RectificationTask.objects.filter(pk=overdue.pk).update(deadline=TODAY - datetime.timedelta(3))
    rows, totals = notice_rows(leader, WULONG, TODAY - datetime.timedelta(1), TODAY)
    by_code = {r["code"]: r for r in rows}
    for code in (FENGSHAN, FURONG):
        items = SampleItem.objects.filter(plan=plan, township_id=code)
        calls = CallTask.objects.filter(item__in=items)
        row = by_code[code]
        assert row["sampled"] == items.count()
        assert row["verified"] == calls.filter(status="done").count()
        assert row["true"] == calls.filter(status="done", result="true").count()
        assert row["false"] == calls.filter(result="false").count()
        rects = RectificationTask.objects.filter(township_id=code)
        assert row["open"] == rects.exclude(status="closed").count()
        open_rects = rects.exclude(status="closed")
        assert row["overdue"] == open_rects.filter(deadline__lt=TODAY).count()
    assert totals["sampled"] == 7 and totals["verified"] == 3 and totals["true"] == 2
    assert totals["accuracy"] == round(100 * 2 / 3, 1) and totals["overdue"] == 1
    # Another period holds nothing.
    assert notice_rows(leader, WULONG, D(2020, 1, 1), D(2020, 1, 31))[0] == []
    # Page and workbook.
    url = reverse("supervision-notice")
    page = client(leader).get(url)
    assert page.status_code == 200 and "凤山街道" in page.content.decode()
    xlsx = client(leader).get(url + "?format=xlsx")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    values = [[cell for cell in row] for row in sheet.iter_rows(values_only=True)]
    assert values[0][0].startswith("督导核查通报")
    assert values[1][:3] == ["区划代码", "乡镇（街道）", "抽取样本"]
    assert values[-1][1] == "合计" and values[-1][2] == 7


# --- Pages: permission matrix ------------------------------------------------------------


PAGES = [
    ("supervision", None),
    ("supervision-plan-new", None),
    ("supervision-plan", "plan"),
    ("supervision-calls", None),
    ("supervision-call", "call"),
    ("supervision-rectifications", None),
    ("supervision-rectification", "rect"),
    ("supervision-quality", None),
    ("supervision-notice", None),
]


@pytest.fixture
def objects(plan, supervisor):
    rect = rect_task(plan, supervisor)
    return {"plan": plan.pk, "call": rect.call_id, "rect": rect.pk}


def _url(name, key, objects):
    return reverse(name, kwargs={"pk": objects[key]}) if key else reverse(name)


@pytest.mark.parametrize("name,key", PAGES)
def test_anonymous_is_sent_to_login(objects, name, key):
    response = Client().get(_url(name, key, objects))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# Expected status per role: 200 allowed, 403 wrong role, 302 redirect (index → own page).
MATRIX = {
    "supervisor": {n: 200 for n, _ in PAGES},
    "county_admin": {n: 200 for n, _ in PAGES},
    "township_operator": {
        "supervision": 302,
        "supervision-plan-new": 403,
        "supervision-plan": 403,
        "supervision-calls": 403,
        "supervision-call": 403,
        "supervision-rectifications": 200,
        "supervision-rectification": 200,
        "supervision-quality": 403,
        "supervision-notice": 403,
    },
    "leader": {
        "supervision": 302,
        "supervision-plan-new": 403,
        "supervision-plan": 403,
        "supervision-calls": 403,
        "supervision-call": 403,
        "supervision-rectifications": 403,
        "supervision-rectification": 403,
        "supervision-quality": 403,
        "supervision-notice": 200,
    },
}


@pytest.mark.parametrize("role", list(MATRIX))
def test_role_matrix(objects, role, request):
    user = request.getfixturevalue(role)
    web = client(user)
    for name, key in PAGES:
        status = web.get(_url(name, key, objects)).status_code
        assert status == MATRIX[role][name], (role, name, status)


def test_outside_jurisdiction_is_404(objects, outside_admin, other_township_operator):
    web = client(outside_admin)
    for name, key in PAGES:
        if key:
            assert web.get(_url(name, key, objects)).status_code == 404, name
    rect = reverse("supervision-rectification", kwargs={"pk": objects["rect"]})
    assert client(other_township_operator).get(rect).status_code == 404
    assert client(other_township_operator).post(rect + "start/").status_code == 404


def test_no_role_is_403(db):
    user = create_user(
        acting_user=None, username="nobody", role="township_operator", region_code=FENGSHAN,
        password=PASSWORD,
    )  # fmt: skip
    user.groups.clear()
    assert client(user).get(reverse("supervision")).status_code == 403


def test_plan_page_form_draws(district, supervisor):
    web = client(supervisor)
    response = web.post(
        reverse("supervision-plan-new"),
        {"population": "laborers", "region": WULONG, "percent": "25", "minimum": "3"},
    )
    assert response.status_code == 302
    plan = SamplingPlan.objects.get()
    assert plan.proportion == Decimal("0.25")
    detail = web.get(response["Location"]).content.decode()
    assert plan.seed in detail and "凤山街道" in detail
    bad = web.post(
        reverse("supervision-plan-new"),
        {"population": "laborers", "region": "500119", "percent": "25", "minimum": "3"},
    )
    assert bad.status_code == 200 and SamplingPlan.objects.count() == 1


# --- CLI ---------------------------------------------------------------------------------


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_cli_draw_and_verify_json(district, supervisor):
    payload = json.loads(
        run("sample", "draw", "--population", "laborers", "--region", WULONG,
            "--proportion", "0.25", "--min", "3", "--user", "supervisor", "--json")
    )  # fmt: skip
    assert set(payload) == {"plan", "seed", "population", "region", "drawn", "townships"}
    assert payload["drawn"] == 7
    assert {t["code"]: t["drawn"] for t in payload["townships"]} == {FENGSHAN: 5, FURONG: 2}
    report = json.loads(run("sample", "verify", str(payload["plan"]), "--json"))
    assert report["matches"] is True and report["seed"] == payload["seed"]
    text = run("sample", "verify", str(payload["plan"]))
    assert "一致" in text
    SampleItem.objects.filter(plan_id=payload["plan"]).last().call.delete()
    SampleItem.objects.filter(plan_id=payload["plan"]).last().delete()
    with pytest.raises(SystemExit):
        run("sample", "verify", str(payload["plan"]), "--json")


@pytest.mark.parametrize(
    "args,message",
    [
        (["--user", "ghost"], "不存在"),
        (["--user", "fengshan_operator"], "权限"),
        (["--user", "supervisor", "--region", "500119"], "管辖范围"),
        (["--user", "supervisor", "--proportion", "abc"], "比例"),
        (["--user", "supervisor", "--region", "999999"], "不存在"),
    ],
)
def test_cli_draw_errors(district, supervisor, township_operator, args, message):
    base = {"--population": "laborers", "--region": WULONG, "--proportion": "0.1"}
    for i in range(0, len(args), 2):
        base[args[i]] = args[i + 1]
    flat = [x for kv in base.items() for x in kv]
    with pytest.raises(CommandError, match=message):
        run("sample", "draw", *flat)


def test_cli_verify_unknown_plan(db):
    with pytest.raises(CommandError, match="不存在"):
        run("sample", "verify", "999999")


def test_placement_and_workshop_populations_show_their_facts(district, supervisor):
    people = list(district["fengshan"][0].members.order_by("id"))
    post = PublicWelfarePost.objects.create(
        title="村道保洁", post_type="cleaning", unit="凤山村委会", region_id=FENGSHAN_VILLAGE,
        monthly_pay=Decimal(792), funding="district", developed_on=D(2020, 1, 1),
    )  # fmt: skip
    Placement.objects.create(post=post, person=people[0], start=D(2024, 1, 1))
    employer = Employer.objects.create(
        credit_code="91500156MA00000001", name="鑫源服饰", region_id=FENGSHAN_VILLAGE, trade="C"
    )
    workshop = Workshop.objects.create(
        name="鑫源扶贫车间", employer=employer, region_id=FENGSHAN_VILLAGE,
        recognized_on=D(2019, 1, 1), document_number="文号",
    )  # fmt: skip
    EmploymentRecord.objects.create(
        person=people[1], valid_from=D(2024, 1, 1), status="employed", form="workshop",
        location_tier="in_township", workshop=workshop, employer_name="鑫源服饰",
        monthly_income=Decimal(2500), start_date=D(2024, 1, 1),
    )  # fmt: skip
    placements = draw(supervisor, population="placements")
    facts = {f["key"]: f["value"] for f in services.call_facts(placements.items.get().call)}
    assert facts["post"] == "村道保洁" and facts["name"] == people[0].name
    assert facts["pay"] == "792 元"
    employees = draw(supervisor, population="workshop_employees")
    item = employees.items.get()
    assert item.person_id == people[1].pk
    facts = {f["key"]: f["value"] for f in services.call_facts(item.call)}
    assert facts["workshop"] == "鑫源扶贫车间" and facts["income"] == "2500 元"


def test_list_pages_have_fixed_query_counts(district, supervisor, township_operator):
    def count(user, url):
        web = client(user)
        web.get(url)  # warm the session and permission caches
        with CaptureQueriesContext(connection) as queries:
            assert web.get(url).status_code == 200
        return len(queries)

    small = draw(supervisor, proportion=Decimal("0.05"), minimum=1)
    for task in CallTask.objects.filter(item__plan=small):
        services.record_call(acting_user=supervisor, task=task, result="info_error", notes="错")
    pages = [
        (supervisor, reverse("supervision-calls") + "?status=done"),
        (township_operator, reverse("supervision-rectifications")),
        (supervisor, reverse("supervision")),
    ]
    before = [count(user, url) for user, url in pages]
    big = draw(supervisor, proportion=Decimal("1"), minimum=1)
    for task in CallTask.objects.filter(item__plan=big, status="open"):
        services.record_call(acting_user=supervisor, task=task, result="info_error", notes="错")
    assert [count(user, url) for user, url in pages] == before
