from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from fupin.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("accounts/", include("fupin.accounts.urls")),
    path("regions/", include("fupin.regions.urls")),
    path("", include("fupin.registry.urls")),
    path("", include("fupin.employment.urls")),
    path("audit/", core_views.audit_log, name="audit-log"),
    path("ledgers/", include("fupin.ledgers.urls")),
    path("stats/", include("fupin.stats.urls")),
    path("subsidies/", include("fupin.subsidies.urls")),
    path("supervision/", include("fupin.supervision.urls")),
    path("matching/", include("fupin.matching.urls")),
    path("dashboard/", include("fupin.stats.redirect_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("fupin.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
