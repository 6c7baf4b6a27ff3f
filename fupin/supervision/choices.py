"""Code lists of supervision (domain.md §4): English identifiers, the labels users know."""

from django.db import models


class Population(models.TextChoices):
    """What a plan samples."""

    LABORERS = "laborers", "贫困劳动力"
    PLACEMENTS = "placements", "公益性岗位安置人员"
    WORKSHOP_EMPLOYEES = "workshop_employees", "扶贫车间就业人员"
    HOUSEHOLDS = "households", "贫困户"
    SUBSIDY_PAYMENTS = "subsidy_payments", "补贴发放"


class Strata(models.TextChoices):
    NONE = "", "不分层（按乡镇抽取）"
    VILLAGE = "village", "按村（社区）分层"


class CallStatus(models.TextChoices):
    OPEN = "open", "待核查"
    DONE = "done", "已核查"
    UNREACHABLE = "unreachable", "无法联系（已达最多拨打次数）"


class CallResult(models.TextChoices):
    TRUE = "true", "属实"
    FALSE = "false", "不属实"
    UNREACHABLE = "unreachable", "无法联系"
    INFO_ERROR = "info_error", "信息有误"


# Results that make a rectification task for the record's township.
PROBLEM_RESULTS = (CallResult.FALSE, CallResult.INFO_ERROR)


class RectificationStatus(models.TextChoices):
    PENDING = "pending", "待整改"
    IN_PROGRESS = "in_progress", "整改中"
    AWAITING_REVIEW = "awaiting_review", "待复核"
    CLOSED = "closed", "已销号"


OVERDUE_LABEL = "逾期"


class RectificationSource(models.TextChoices):
    CALL = "call", "电话核查"
    RULE = "rule", "数据疑点"
