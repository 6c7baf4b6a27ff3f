from django.urls import path

from fupin.registry import transfer_views, views

urlpatterns = [
    path("households/", views.household_list, name="household-list"),
    *transfer_views.import_pages.urls("households/import/"),
    path("households/export/", transfer_views.export, name="household-export"),
    path("households/new/", views.household_create, name="household-create"),
    path("households/<int:pk>/", views.household_detail, name="household-detail"),
    path("households/<int:pk>/edit/", views.household_edit, name="household-edit"),
    path("households/<int:pk>/income/", views.income_set, name="household-income"),
    path("households/<int:pk>/members/new/", views.member_add, name="member-add"),
    path("persons/<int:pk>/", views.person_detail, name="person-detail"),
    path("persons/<int:pk>/edit/", views.person_edit, name="person-edit"),
    path("persons/<int:pk>/remove/", views.person_remove, name="person-remove"),
    path("persons/<int:pk>/move/", views.person_move, name="person-move"),
    path("persons/<int:pk>/make-head/", views.person_make_head, name="person-make-head"),
    path("persons/<int:pk>/reveal-id/", views.person_reveal_id, name="person-reveal-id"),
]
