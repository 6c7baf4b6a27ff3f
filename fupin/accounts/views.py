from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from fupin.accounts.models import User
from fupin.accounts.roles import Role
from fupin.accounts.services import create_user, set_password
from fupin.regions.models import Region


class UserCreateForm(forms.Form):
    username = forms.CharField(label="用户名", max_length=150)
    full_name = forms.CharField(label="姓名", max_length=50, required=False)
    role = forms.ChoiceField(label="角色", choices=Role.choices)
    region = forms.ModelChoiceField(label="管辖区域", queryset=Region.objects.none())
    password = forms.CharField(label="初始密码", widget=forms.PasswordInput)

    def __init__(self, *args: object, user: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = Region.objects.for_user(user).filter(level__lte=5)
        self.fields["region"].label_from_instance = lambda r: f"{r.code} {r.name}"


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's page, with the change written (and audited) by the accounts service."""

    template_name = "accounts/password_change.html"

    def form_valid(self, form: forms.Form) -> HttpResponse:
        set_password(
            acting_user=self.request.user,
            user=self.request.user,
            password=form.cleaned_data["new_password1"],
        )
        update_session_auth_hash(self.request, self.request.user)
        return redirect(self.get_success_url())


@login_required
@permission_required("accounts.manage_users", raise_exception=True)
def user_list(request: HttpRequest) -> HttpResponse:
    """County admins see and create the users of their jurisdiction."""
    form = UserCreateForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = create_user(
                acting_user=request.user,
                username=data["username"],
                role=data["role"],
                region_code=data["region"].code,
                password=data["password"],
                full_name=data["full_name"],
            )
        except ValidationError as exc:
            for msgs in exc.message_dict.values():
                for m in msgs:
                    form.add_error(None, m)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"已创建用户 {created.username}")
            return redirect("user-list")
    users = (
        User.objects.filter(region__code__startswith=request.user.region_id or "")
        .order_by("region_id", "username")
        .select_related("region")
    )
    return render(request, "accounts/user_list.html", {"users": users, "form": form})
