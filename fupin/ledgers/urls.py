from django.urls import path

from fupin.ledgers import views

urlpatterns = [
    path("", views.index, name="ledger-index"),
    path("jobs/<int:pk>/", views.job_status, name="ledger-job"),
    path("jobs/<int:pk>/download/", views.download, name="ledger-download"),
]
