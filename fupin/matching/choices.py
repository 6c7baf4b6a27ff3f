"""Code lists of job pushes."""

from django.db import models


class PushChannel(models.TextChoices):
    VISIT = "visit", "上门告知"
    PHONE = "phone", "电话告知"
    TEXT = "text", "微信/短信"


class PushStatus(models.TextChoices):
    PUSHED = "pushed", "已推送"
    INTERESTED = "interested", "有意向"
    INTERVIEWED = "interviewed", "已面试"
    HIRED = "hired", "已录用"
    DECLINED = "declined", "未成功"


# Outcomes that got at least as far as interest (for the interest figures everywhere).
REACHED_INTEREST = (PushStatus.INTERESTED, PushStatus.INTERVIEWED, PushStatus.HIRED)

# Where an outcome may go next: pushed → interested → interviewed → hired, or declined.
NEXT_STATUS: dict[str, tuple[str, ...]] = {
    PushStatus.PUSHED: (PushStatus.INTERESTED, PushStatus.DECLINED),
    PushStatus.INTERESTED: (PushStatus.INTERVIEWED, PushStatus.DECLINED),
    PushStatus.INTERVIEWED: (PushStatus.HIRED, PushStatus.DECLINED),
    PushStatus.HIRED: (),
    PushStatus.DECLINED: (),
}
