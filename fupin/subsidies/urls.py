from django.urls import path

from fupin.subsidies import forms
from fupin.subsidies import views as v

urlpatterns = [
    *v.policies.urls("policies"),
    *v.applications.urls("applications"),
    *v.batches.urls("batches"),
    path("eligible/", v.eligible, name="subsidy-eligible"),
    path("eligible/drafts/", v.eligible_drafts, name="subsidy-eligible-drafts"),
    path("batches/pick/", v.batch_new, name="payment-batch-pick"),
    path("batches/<int:pk>/bank-file/", v.batch_bank_file, name="payment-batch-bank-file"),
    path("batches/<int:pk>/return-file/", v.batch_return_file, name="payment-batch-return"),
    path("batches/<int:pk>/withdraw/", v.batch_withdraw, name="payment-batch-withdraw"),
]
for name, form in [
    ("submit", forms.SubmitForm),
    ("review", forms.ReviewForm),
    ("approve", forms.ApproveForm),
    ("reject", forms.RejectForm),
    ("cancel", forms.CancelForm),
    ("reverse", forms.ReverseForm),
]:
    urlpatterns.append(
        path(f"applications/<int:pk>/{name}/", v.action(form), name=f"subsidy-application-{name}")
    )
urlpatterns.append(path("", v.home, name="subsidies-home"))
