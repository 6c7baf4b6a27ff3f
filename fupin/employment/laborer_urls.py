"""Routes of the laborer pages (poor laborers, their states, needs, services, verification)."""

from django.urls import path

from fupin.employment import laborer_export_views, laborer_import_views
from fupin.employment import laborer_views as views

urlpatterns = [
    path("laborers/", views.laborer_list, name="laborer-list"),
    path("laborers/verify/", views.verify_start, name="laborer-verify"),
    path("laborers/export/", laborer_export_views.laborer_export, name="laborer-export"),
    *laborer_import_views.pages.urls("laborers/import/"),
    path("laborers/verify/<int:pk>/confirm/", views.verify_confirm, name="laborer-verify-confirm"),
    path("laborers/verify/<int:pk>/change/", views.verify_change, name="laborer-verify-change"),
    path("laborers/verify/<int:pk>/skip/", views.verify_skip, name="laborer-verify-skip"),
    path("laborers/<int:pk>/", views.laborer_detail, name="laborer-detail"),
    path("laborers/<int:pk>/employment/", views.employment_record, name="laborer-employment"),
    path("laborers/<int:pk>/needs/", views.needs_edit, name="laborer-needs"),
    path("laborers/<int:pk>/services/new/", views.service_add, name="laborer-service-add"),
]
