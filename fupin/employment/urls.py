"""Employment pages; each area keeps its routes in its own module."""

from django.urls import include, path

urlpatterns = [
    path("", include("fupin.employment.laborer_urls")),
    path("", include("fupin.employment.measure_urls")),
]
