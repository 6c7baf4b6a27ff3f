from django.urls import path

from fupin.stats import views

urlpatterns = [
    path("", views.report, name="stats-report"),
    path("export/", views.export, name="stats-export"),
    path("dashboard/", views.dashboard, name="stats-dashboard"),
    path("dashboard/data/", views.dashboard_json, name="stats-dashboard-data"),
]
