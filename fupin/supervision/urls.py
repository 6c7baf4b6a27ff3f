from django.urls import path

from fupin.supervision import views

urlpatterns = [
    path("", views.index, name="supervision"),
    path("plans/new/", views.plan_new, name="supervision-plan-new"),
    path("plans/<int:pk>/", views.plan_detail, name="supervision-plan"),
    path("calls/", views.call_list, name="supervision-calls"),
    path("calls/<int:pk>/", views.call_detail, name="supervision-call"),
    path("calls/<int:pk>/phone/", views.call_phone, name="supervision-call-phone"),
    path("rectifications/", views.rectification_list, name="supervision-rectifications"),
    path("rectifications/<int:pk>/", views.rectification_detail, name="supervision-rectification"),
    path(
        "rectifications/<int:pk>/start/",
        views.rectification_start,
        name="supervision-rectification-start",
    ),
    path(
        "rectifications/<int:pk>/submit/",
        views.rectification_submit,
        name="supervision-rectification-submit",
    ),
    path(
        "rectifications/<int:pk>/review/",
        views.rectification_review,
        name="supervision-rectification-review",
    ),
    path("quality/", views.quality, name="supervision-quality"),
    path("notice/", views.notice, name="supervision-notice"),
]
