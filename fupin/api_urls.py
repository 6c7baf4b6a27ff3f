from rest_framework.routers import DefaultRouter

from fupin.registry.api import HouseholdViewSet, PersonViewSet

router = DefaultRouter()
router.register("households", HouseholdViewSet, basename="household")
router.register("persons", PersonViewSet, basename="person")
urlpatterns = router.urls
