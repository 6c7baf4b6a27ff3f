from __future__ import annotations

import getpass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from fupin.accounts.roles import Role
from fupin.accounts.services import create_user
from fupin.core.context import acting_as


class Command(BaseCommand):
    help = "创建用户：fupin createuser USERNAME --role ROLE --region CODE [--password P]"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--region", required=True, help="管辖区域的区划代码")
        parser.add_argument("--password", help="不给出时交互式输入")
        parser.add_argument("--name", default="", help="姓名")

    def handle(self, *args: Any, **opts: Any) -> None:
        password = opts["password"]
        if password is None:
            password = getpass.getpass("密码: ")
            if password != getpass.getpass("再次输入密码: "):
                raise CommandError("两次输入的密码不一致")
        try:
            with acting_as(None, source="cli"):
                user = create_user(
                    acting_user=None,
                    username=opts["username"],
                    role=opts["role"],
                    region_code=opts["region"],
                    password=password,
                    full_name=opts["name"],
                )
        except ValidationError as exc:
            raise CommandError(
                "；".join(m for ms in exc.message_dict.values() for m in ms)
            ) from exc
        self.stdout.write(
            f"已创建用户 {user.username}（{user.get_role_display()}，{user.region.full_name}）"
        )
