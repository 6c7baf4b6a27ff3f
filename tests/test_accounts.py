"""Login, logout, lockout, password policy, idle timeout, `fupin createuser` and the user
management page."""

from __future__ import annotations

import datetime
import io
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from fupin.accounts.models import User
from fupin.core.models import AuditLog
from tests.conftest import FENGSHAN, FENGSHAN_VILLAGE, PASSWORD, WULONG

pytestmark = pytest.mark.django_db

STRONG = "Nn9#kq2vTz"
CLASSES_MESSAGE = "密码须包含大写字母、小写字母、数字、符号中的至少 3 类。"
VALIDATION_BUG = (
    "BUG: fupin/accounts/services.py create_user() lets validate_password() raise a "
    "list-style ValidationError (no error_dict); callers read exc.message_dict, which raises "
    "AttributeError"
)


@pytest.fixture(autouse=True)
def fast_hasher(settings: Any) -> None:
    """PBKDF2 costs 0.6 s per hash; the policy under test does not depend on the hasher."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def login(client: Client, username: str, password: str) -> Any:
    return client.post(reverse("login"), {"username": username, "password": password})


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


# --- login / logout ----------------------------------------------------------------------


def test_login_page_renders(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    content = response.content.decode()
    assert 'name="username"' in content and 'name="password"' in content
    assert "连续 5 次输错密码" in content


def test_anonymous_home_redirects_to_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_login_redirects_home_and_is_audited(client, township_operator):
    response = login(client, township_operator.username, PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert logged_in(client)
    entry = AuditLog.objects.get(action=AuditLog.Action.LOGIN)
    assert entry.username == township_operator.username
    assert entry.user_id == township_operator.pk
    assert entry.ip == "127.0.0.1"
    assert entry.source == "web"
    assert entry.region_code == FENGSHAN
    assert client.get(reverse("home")).status_code == 200


def test_wrong_password_is_audited_as_failed(client, township_operator):
    response = login(client, township_operator.username, "Wrong-pass-1")
    assert response.status_code == 200
    assert not logged_in(client)
    assert response.context["form"].non_field_errors()
    entry = AuditLog.objects.get(action=AuditLog.Action.LOGIN_FAILED)
    assert entry.object_repr == township_operator.username
    assert entry.user_id is None
    assert entry.ip == "127.0.0.1"
    assert entry.region_code == township_operator.region_id  # seen by the county admin
    assert not AuditLog.objects.filter(action=AuditLog.Action.LOGIN).exists()


def test_logout_is_audited(client, township_operator):
    login(client, township_operator.username, PASSWORD)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert not logged_in(client)
    entry = AuditLog.objects.get(action=AuditLog.Action.LOGOUT)
    assert entry.username == township_operator.username
    assert entry.ip == "127.0.0.1"


def test_logout_by_get_is_not_allowed(client, township_operator):
    client.force_login(township_operator)
    assert client.get(reverse("logout")).status_code == 405
    assert logged_in(client)


# --- lockout -----------------------------------------------------------------------------


def test_five_failures_lock_the_account(client, township_operator):
    for _ in range(5):
        login(client, township_operator.username, "Wrong-pass-1")
    assert AuditLog.objects.filter(action=AuditLog.Action.LOGIN_FAILED).count() == 5

    response = login(client, township_operator.username, PASSWORD)
    assert not logged_in(client)
    assert response.status_code in (403, 429)
    assert "账号已锁定" in response.content.decode()
    assert not AuditLog.objects.filter(action=AuditLog.Action.LOGIN).exists()
    # From another browser, too: the lock is on the account.
    other = Client(REMOTE_ADDR="10.0.0.9")
    login(other, township_operator.username, PASSWORD)
    assert not logged_in(other)


def test_lock_is_per_account(client, township_operator, village_clerk):
    for _ in range(5):
        login(client, township_operator.username, "Wrong-pass-1")
    response = login(client, village_clerk.username, PASSWORD)
    assert response.status_code == 302
    assert logged_in(client)


def test_four_failures_then_success_resets_the_count(client, township_operator):
    for _ in range(4):
        login(client, township_operator.username, "Wrong-pass-1")
    assert login(client, township_operator.username, PASSWORD).status_code == 302
    client.post(reverse("logout"))
    for _ in range(4):
        login(client, township_operator.username, "Wrong-pass-1")
    assert login(client, township_operator.username, PASSWORD).status_code == 302


def test_lockout_policy_settings():
    assert django_settings.AXES_FAILURE_LIMIT == 5
    assert datetime.timedelta(hours=django_settings.AXES_COOLOFF_TIME) == datetime.timedelta(
        minutes=30
    )


# --- password change ---------------------------------------------------------------------


def change_password(client: Client, new: str) -> Any:
    return client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )


def test_password_change_refuses_weak_password(client, township_operator):
    client.force_login(township_operator)
    assert client.get(reverse("password_change")).status_code == 200
    response = change_password(client, "abcdefgh")
    assert response.status_code == 200
    assert CLASSES_MESSAGE in response.content.decode()
    township_operator.refresh_from_db()
    assert township_operator.check_password(PASSWORD)


def test_password_change_refuses_short_password(client, township_operator):
    client.force_login(township_operator)
    response = change_password(client, "Ab1#x")
    assert response.status_code == 200
    assert not response.context["form"].is_valid()
    township_operator.refresh_from_db()
    assert township_operator.check_password(PASSWORD)


def test_password_change_accepts_strong_password(client, township_operator):
    client.force_login(township_operator)
    response = change_password(client, STRONG)
    assert response.status_code == 302
    assert response["Location"] == reverse("password_change_done")
    township_operator.refresh_from_db()
    assert township_operator.check_password(STRONG)
    assert logged_in(client)  # the session survives its own password change
    fresh = Client()
    assert login(fresh, township_operator.username, STRONG).status_code == 302


def test_password_change_is_audited(client, township_operator):
    client.force_login(township_operator)
    change_password(client, STRONG)
    entry = AuditLog.objects.get(action=AuditLog.Action.UPDATE, object_type="accounts.user")
    assert entry.object_id == str(township_operator.pk)
    assert entry.username == township_operator.username
    assert "password" in entry.changes


# --- idle timeout ------------------------------------------------------------------------


def test_idle_timeout_settings():
    assert django_settings.SESSION_COOKIE_AGE == 1800
    assert django_settings.SESSION_SAVE_EVERY_REQUEST is True


def test_idle_session_expires(client, township_operator):
    client.force_login(township_operator)
    assert client.get(reverse("home")).status_code == 200
    session = Session.objects.get(session_key=client.session.session_key)
    remaining = session.expire_date - timezone.now()
    assert datetime.timedelta(minutes=29) < remaining <= datetime.timedelta(minutes=30)
    # 31 idle minutes later the session is gone.
    Session.objects.filter(pk=session.pk).update(
        expire_date=timezone.now() - datetime.timedelta(minutes=1)
    )
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- fupin createuser --------------------------------------------------------------------


def createuser(*args: str) -> str:
    out = io.StringIO()
    call_command("createuser", *args, stdout=out)
    return out.getvalue()


def test_createuser_creates_user_with_role_group(db):
    output = createuser(
        "fs_op", "--role", "township_operator", "--region", FENGSHAN, "--password", STRONG
    )
    assert "fs_op" in output
    user = User.objects.get(username="fs_op")
    assert user.role == "township_operator"
    assert user.region_id == FENGSHAN
    assert [g.name for g in user.groups.all()] == ["township_operator"]
    assert user.check_password(STRONG)
    assert user.has_perm("registry.add_household")
    assert user.has_perm("registry.change_person")
    assert not user.has_perm("registry.view_full_id")
    assert not user.has_perm("accounts.manage_users")

    entry = AuditLog.objects.get(action=AuditLog.Action.CREATE, object_type="accounts.user")
    assert entry.source == "cli"
    assert entry.object_id == str(user.pk)
    assert entry.region_code == FENGSHAN
    assert entry.changes == {"username": "fs_op", "role": "township_operator", "region": FENGSHAN}

    client = Client()
    assert login(client, "fs_op", STRONG).status_code == 302


def test_createuser_county_admin_may_see_full_ids(db):
    createuser("wl_admin", "--role", "county_admin", "--region", WULONG, "--password", STRONG)
    user = User.objects.get(username="wl_admin")
    assert user.has_perm("registry.view_full_id")
    assert user.has_perm("accounts.manage_users")


def test_createuser_role_at_wrong_level(db):
    with pytest.raises(CommandError, match="村（社区）信息员的管辖区域应为：村（社区）"):
        createuser("clerk", "--role", "village_clerk", "--region", FENGSHAN, "--password", STRONG)
    assert not User.objects.filter(username="clerk").exists()
    # The same role at a village works.
    createuser(
        "clerk", "--role", "village_clerk", "--region", FENGSHAN_VILLAGE, "--password", STRONG
    )
    assert User.objects.get(username="clerk").region_id == FENGSHAN_VILLAGE


def test_createuser_unknown_region(db):
    with pytest.raises(CommandError, match="区划代码 500156999 不存在"):
        createuser(
            "ghost", "--role", "township_operator", "--region", "500156999", "--password", STRONG
        )
    assert not User.objects.filter(username="ghost").exists()


def test_createuser_unknown_role(db):
    with pytest.raises(CommandError):
        createuser("ghost", "--role", "mayor", "--region", FENGSHAN, "--password", STRONG)
    assert not User.objects.filter(username="ghost").exists()


def test_createuser_duplicate_username(township_operator):
    with pytest.raises(CommandError, match=f"用户名 {township_operator.username} 已存在"):
        createuser(
            township_operator.username,
            "--role",
            "village_clerk",
            "--region",
            FENGSHAN_VILLAGE,
            "--password",
            STRONG,
        )
    township_operator.refresh_from_db()
    assert township_operator.role == "township_operator"


def test_createuser_weak_password_is_a_command_error(db):
    with pytest.raises(CommandError, match="至少 3 类"):
        createuser(
            "weak", "--role", "township_operator", "--region", FENGSHAN, "--password", "abcdefgh"
        )
    assert not User.objects.filter(username="weak").exists()


# --- user management page ----------------------------------------------------------------


def new_user_post(**overrides: Any) -> dict[str, Any]:
    return {
        "username": "new_op",
        "full_name": "王经办",
        "role": "township_operator",
        "region": FENGSHAN,
        "password": STRONG,
        **overrides,
    }


def test_county_admin_creates_township_operator(client, county_admin):
    client.force_login(county_admin)
    page = client.get(reverse("user-list"))
    assert page.status_code == 200
    assert county_admin.username in page.content.decode()

    response = client.post(reverse("user-list"), new_user_post())
    assert response.status_code == 302
    user = User.objects.get(username="new_op")
    assert user.region_id == FENGSHAN
    assert user.full_name == "王经办"
    assert [g.name for g in user.groups.all()] == ["township_operator"]
    entry = AuditLog.objects.get(action=AuditLog.Action.CREATE, object_id=str(user.pk))
    assert entry.username == county_admin.username
    assert entry.source == "web"
    assert "new_op" in client.get(reverse("user-list")).content.decode()


def test_county_admin_cannot_create_user_outside_county(client, county_admin):
    client.force_login(county_admin)
    page = client.get(reverse("user-list")).content.decode()
    assert 'value="500119001"' not in page
    assert f'value="{FENGSHAN}"' in page

    response = client.post(reverse("user-list"), new_user_post(region="500119001"))
    assert response.status_code == 200
    assert response.context["form"].errors["region"]
    assert not User.objects.filter(username="new_op").exists()


def test_user_page_refuses_role_at_wrong_level(client, county_admin):
    client.force_login(county_admin)
    response = client.post(reverse("user-list"), new_user_post(role="village_clerk"))
    assert response.status_code == 200
    assert "村（社区）信息员的管辖区域应为" in response.content.decode()
    assert not User.objects.filter(username="new_op").exists()


def test_user_page_refuses_weak_password(client, county_admin):
    client.force_login(county_admin)
    response = client.post(reverse("user-list"), new_user_post(password="abcdefgh"))
    assert response.status_code == 200
    assert CLASSES_MESSAGE in response.content.decode()
    assert not User.objects.filter(username="new_op").exists()


def test_user_page_only_for_county_admin(client, township_operator):
    client.force_login(township_operator)
    assert client.get(reverse("user-list")).status_code == 403
    assert client.post(reverse("user-list"), new_user_post()).status_code == 403
    assert not User.objects.filter(username="new_op").exists()
