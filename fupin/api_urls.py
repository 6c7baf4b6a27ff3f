from django.urls import path
from rest_framework.routers import DefaultRouter

from fupin.employment import laborer_api, measure_api
from fupin.matching import api as matching_api
from fupin.registry.api import HouseholdViewSet, PersonViewSet
from fupin.stats.api import StatsView
from fupin.subsidies import api as subsidies_api

router = DefaultRouter()
router.register("households", HouseholdViewSet, basename="api-household")
router.register("persons", PersonViewSet, basename="api-person")
laborer_api.register(router)
measure_api.register(router)
subsidies_api.register(router)
matching_api.register(router)
urlpatterns = router.urls
urlpatterns = urlpatterns + [path("stats/", StatsView.as_view(), name="api-stats")]
