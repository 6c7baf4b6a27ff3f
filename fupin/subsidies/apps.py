from django.apps import AppConfig


class SubsidiesConfig(AppConfig):
    name = "fupin.subsidies"
    label = "subsidies"
    verbose_name = "政策兑现"
