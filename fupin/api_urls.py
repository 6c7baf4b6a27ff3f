from rest_framework.routers import DefaultRouter

from fupin.registry.api import HouseholdViewSet, PersonViewSet

router = DefaultRouter()
router.register("households", HouseholdViewSet, basename="api-household")
router.register("persons", PersonViewSet, basename="api-person")
urlpatterns = router.urls
