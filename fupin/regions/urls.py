from django.urls import path

from fupin.regions import views

urlpatterns = [path("options/", views.region_options, name="region-options")]
