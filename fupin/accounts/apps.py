from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "fupin.accounts"
    label = "accounts"
    verbose_name = "用户与权限"

    def ready(self) -> None:
        from fupin.accounts import signals  # noqa: F401
