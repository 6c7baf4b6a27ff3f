from django.apps import AppConfig


class MatchingConfig(AppConfig):
    name = "fupin.matching"
    verbose_name = "人岗匹配"
