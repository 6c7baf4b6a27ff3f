"""`/dashboard/` (the path named in issue 4) leads to the dashboard under /stats/."""

from django.urls import path
from django.views.generic import RedirectView

urlpatterns = [
    path(
        "",
        RedirectView.as_view(pattern_name="stats-dashboard", query_string=True),
        name="dashboard",
    )
]
