from django.urls import path

from fupin.matching import views

urlpatterns = [
    path("", views.recommendation_list, name="matching-list"),
    path("laborers/<int:pk>/", views.laborer_recommendations, name="matching-laborer"),
    path("laborers/<int:pk>/push/", views.push, name="matching-push"),
    path("laborers/<int:pk>/card/", views.job_card, name="matching-card"),
    path("pushes/<int:pk>/outcome/", views.outcome, name="matching-outcome"),
    path("jobs/<int:pk>/", views.posting_laborers, name="matching-job"),
    path("stats/", views.push_stats, name="matching-stats"),
    path("run/", views.run, name="matching-run"),
    path("runs/<int:pk>/", views.run_job, name="matching-run-job"),
]
