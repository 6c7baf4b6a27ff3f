from django.urls import path

from fupin.core.generic import person_options
from fupin.employment import measure_forms as forms
from fupin.employment import measure_views as v

urlpatterns = [
    *v.employers.urls("employers"),
    *v.jobs.urls("jobs"),
    *v.events.urls("recruitment-events"),
    *v.workshops.urls("workshops"),
    *v.posts.urls("public-welfare-posts"),
    *v.startups.urls("startups"),
    *v.trainings.urls("trainings"),
    *v.batches.urls("export-batches"),
    path("people/pick/", person_options, name="pick-person"),
    path(
        "workshops/<int:pk>/revoke/",
        v.action(v.workshops, forms.RevokeWorkshopForm),
        name="workshop-revoke",
    ),
    path(
        "workshops/<int:pk>/employ/",
        v.action(v.workshops, forms.WorkshopEmployForm),
        name="workshop-employ",
    ),
    path(
        "public-welfare-posts/<int:pk>/place/",
        v.action(v.posts, forms.PlaceForm),
        name="public-welfare-post-place",
    ),
    path(
        "public-welfare-posts/<int:pk>/end/",
        v.action(v.posts, forms.EndPlacementForm),
        name="public-welfare-post-end",
    ),
    path("startups/<int:pk>/loans/", v.action(v.startups, forms.LoanForm), name="startup-loan"),
    path(
        "trainings/<int:pk>/enroll/",
        v.action(v.trainings, forms.EnrollForm, parent_scope="read"),
        name="training-enroll",
    ),
    path(
        "trainings/<int:pk>/result/",
        v.action(v.trainings, forms.EnrollmentResultForm, parent_scope="read"),
        name="training-result",
    ),
    path(
        "export-batches/<int:pk>/participants/",
        v.action(v.batches, forms.ParticipantForm, parent_scope="read"),
        name="export-batch-participant",
    ),
]
