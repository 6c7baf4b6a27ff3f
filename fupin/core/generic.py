"""Generic, declarative, jurisdiction-scoped pages (architecture.md habit 3).

A record type declares a `Resource` (model, filter set, columns, form, detail fields);
`Resource.urls(route)` gives its list (with htmx rows fragment, sorting, pagination),
xlsx export of the current filter (audited), detail, create and edit pages. Every
queryset starts from `for_user`; edits use the strict jurisdiction (district-wide
models are readable across the district but editable only inside one's own region).
Forms hand their cleaned data to a service; the service validates, writes and audits.
"""

from __future__ import annotations

import datetime
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import django_filters
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.paginator import Paginator
from django.db import models
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views import View

from fupin.core import audit
from fupin.core.forms import run_service
from fupin.core.models import AuditLog, jurisdiction_code
from fupin.core.xlsx import Column, Workbook
from fupin.regions.models import Region
from fupin.regions.widgets import RegionPicker
from fupin.registry.filters import matching_people
from fupin.registry.idnumbers import looks_like_id_number, mask_id_number
from fupin.registry.models import Person

PAGE_SIZES = (20, 50, 100)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def masked(id_number: str | None) -> str:
    return mask_id_number(id_number, settings.FUPIN_ID_MASK_HEAD, settings.FUPIN_ID_MASK_TAIL)


def masked_phone(phone: str | None) -> str:
    """138****5678: enough to recognise, not to dial. At least four characters stay hidden,
    so a landline (77712345 → ****2345) is not all but shown."""
    phone = (phone or "").strip()
    head = 3 if len(phone) >= 11 else 0
    tail = min(4, max(0, len(phone) - head - 4))
    return f"{phone[:head]}{'*' * (len(phone) - head - tail)}{phone[len(phone) - tail :]}"


@dataclass
class Col:
    """A list/export column: `key` is an attribute path ("employer.name"); choice fields
    show their label, booleans 是/否. `sort` names the order_by field (None: not sortable);
    `value` computes the cell instead of `key`."""

    key: str
    label: str
    sort: str | None = None
    link: bool = False
    width: float = 14
    value: Callable[[Any], Any] | None = None

    def get(self, obj: Any) -> Any:
        if self.value is not None:
            return self.value(obj)
        *parents, last = self.key.split(".")
        for name in parents:
            obj = getattr(obj, name, None)
            if obj is None:
                return ""
        display = getattr(obj, f"get_{last}_display", None)
        value = display() if display else getattr(obj, last, "")
        return value


def show(value: Any) -> Any:
    """A cell as the page shows it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime.date):
        return value.strftime("%Y-%m-%d")
    return value


def strict_scope(queryset: Any, user: Any) -> Any:
    """The user's own jurisdiction (no district-wide widening): where they may write."""
    code = jurisdiction_code(user)
    return queryset.none() if code is None else queryset.in_region(code)


class Resource:
    """Declaration of one record type's pages. Subclass and set the attributes."""

    model: type[models.Model]
    name: str  # URL names: {name}-list, -detail, -create, -edit, -export
    title: str = ""
    filterset_class: Any = None
    form_class: Any = None
    columns: list[Col] = []
    detail_fields: list[Col] = []
    select_related: tuple[str, ...] = ()
    default_ordering: tuple[str, ...] = ()
    search_placeholder = "名称"
    detail_template: str | None = None  # extra sections, included below the facts

    def __init__(self) -> None:
        meta = self.model._meta
        self.title = self.title or str(meta.verbose_name)
        self.app_label, self.model_name = meta.app_label, meta.model_name

    def perm(self, action: str) -> str:
        return f"{self.app_label}.{action}_{self.model_name}"

    def queryset(self, user: Any) -> Any:
        qs = self.model.objects.for_user(user).select_related(*self.select_related)
        return self.annotate(qs)

    def annotate(self, queryset: Any) -> Any:
        return queryset

    def edit_queryset(self, user: Any) -> Any:
        return strict_scope(self.model.objects.all(), user)

    def detail_context(self, request: HttpRequest, obj: Any) -> dict[str, Any]:
        return {}

    def url(self, action: str, obj: Any = None) -> str:
        return reverse(f"{self.name}-{action}", kwargs={"pk": obj.pk} if obj is not None else {})

    def urls(self, route: str) -> list[Any]:
        kw = {"resource": self}
        return [
            path(f"{route}/", ObjectList.as_view(**kw), name=f"{self.name}-list"),
            path(f"{route}/export/", ObjectExport.as_view(**kw), name=f"{self.name}-export"),
            path(f"{route}/new/", ObjectEdit.as_view(**kw), name=f"{self.name}-create"),
            path(f"{route}/<int:pk>/", ObjectDetail.as_view(**kw), name=f"{self.name}-detail"),
            path(f"{route}/<int:pk>/edit/", ObjectEdit.as_view(**kw), name=f"{self.name}-edit"),
        ]

    def filtered(self, request: HttpRequest) -> tuple[Any, Any, str]:
        """(filter set, filtered and ordered queryset, ordering key) for page and export."""
        params = request.GET.copy()
        if not params.get("region") and params.get("region__township"):
            params["region"] = params["region__township"]
        filterset = self.filterset_class(
            params, queryset=self.queryset(request.user), request=request
        )
        queryset = filterset.qs
        ordering = params.get("ordering", "")
        sorts = {c.key: c.sort for c in self.columns if c.sort}
        key = ordering.removeprefix("-")
        if key in sorts:
            field = sorts[key]
            queryset = queryset.order_by(f"-{field}" if ordering.startswith("-") else field, "pk")
        else:
            ordering = ""
            # Annotations with aggregates drop Meta.ordering: order explicitly, stably.
            default = self.default_ordering or tuple(self.model._meta.ordering)
            queryset = queryset.order_by(*default, "pk")
        return filterset, queryset, ordering


class ResourceView(PermissionRequiredMixin, View):
    """Anonymous → login; without the model permission → 403; outside scope → 404."""

    resource: Resource = None  # type: ignore[assignment]
    action = "view"

    def get_permission_required(self) -> list[str]:
        return [self.resource.perm(self.action)]


class ObjectList(ResourceView):
    def get(self, request: HttpRequest) -> HttpResponse:
        res = self.resource
        filterset, queryset, ordering = res.filtered(request)
        try:
            size = int(request.GET.get("page_size", 20))
        except ValueError:
            size = 20
        size = size if size in PAGE_SIZES else 20
        page = Paginator(queryset, size).get_page(request.GET.get("page"))
        keep = request.GET.copy()
        keep.pop("page", None)
        export = keep.copy()
        export.pop("page_size", None)
        rows = [(res.url("detail", o), [show(c.get(o)) for c in res.columns]) for o in page]
        context = {
            "resource": res,
            "filter": filterset,
            # Id filters (e.g. ?employer=3) serve links and the API, not the filter bar.
            "filter_fields": [
                f
                for f in filterset.form
                if f.name not in ("region", "q", "ordering")
                and not isinstance(filterset.filters[f.name], django_filters.NumberFilter)
            ],
            "page": page,
            "rows": rows,
            "columns": res.columns,
            "querystring": keep.urlencode(),
            "export_query": export.urlencode(),
            "page_sizes": PAGE_SIZES,
            "page_size": size,
            "ordering": ordering,
            "can_add": request.user.has_perm(res.perm("add")) and res.form_class is not None,
            "region_picker": RegionPicker(user=request.user, allow_township=True).render(
                "region", request.GET.get("region", ""), attrs={"id": "id_region"}
            )
            if "region" in filterset.filters
            else "",
        }
        template = "core/generic_rows.html" if request.htmx else "core/generic_list.html"
        return render(request, template, context)


class ObjectExport(ResourceView):
    """The current filter as xlsx (IDs masked, formulas neutralised), audited."""

    def get(self, request: HttpRequest) -> HttpResponse:
        res = self.resource
        filterset, queryset, _ = res.filtered(request)
        handle = tempfile.TemporaryFile()
        rows = 0
        with Workbook(handle) as book:
            sheet = book.add_sheet(
                res.title[:31], [Column(c.label, width=c.width) for c in res.columns]
            )
            for obj in queryset.iterator(chunk_size=2000):
                sheet.write_row([c.get(obj) for c in res.columns])
                rows += 1
        filters = {k: audit.ids_masked(v) for k, v in request.GET.items()}
        described = "；".join(f"{k}={v}" for k, v in filters.items() if v and k != "page")
        audit.record(
            AuditLog.Action.EXPORT,
            object_type=res.model._meta.label_lower,
            object_repr=res.title,
            region_code=jurisdiction_code(request.user) or "",
            changes={"rows": rows, "filters": filters},
            message=f"导出{res.title} {rows} 行" + (f"；{described}" if described else ""),
        )
        handle.seek(0)
        stamp = timezone.localtime().strftime("%Y%m%d_%H%M")
        return FileResponse(
            handle, as_attachment=True, filename=f"{res.title}_{stamp}.xlsx", content_type=XLSX
        )


class ObjectDetail(ResourceView):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        res = self.resource
        obj = get_object_or_404(res.queryset(request.user), pk=pk)
        can_edit = (
            res.form_class is not None
            and request.user.has_perm(res.perm("change"))
            and res.edit_queryset(request.user).filter(pk=pk).exists()
        )
        context = {
            "resource": res,
            "object": obj,
            "facts": [(c.label, show(c.get(obj))) for c in res.detail_fields],
            "can_edit": can_edit,
            **res.detail_context(request, obj),
        }
        return render(request, "core/generic_detail.html", context)


class ObjectEdit(ResourceView):
    """Create (no pk) or edit; the form's save() calls the service."""

    def get_permission_required(self) -> list[str]:
        return [self.resource.perm("change" if "pk" in self.kwargs else "add")]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.resource.form_class is None:
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        return self.post(request, pk)

    def post(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        res = self.resource
        instance = get_object_or_404(res.edit_queryset(request.user), pk=pk) if pk else None
        data = request.POST if request.method == "POST" else None
        form = res.form_class(data, instance=instance, user=request.user)
        if data is not None and form.is_valid():
            saved = run_service(form, form.save)
            if saved is not None:
                messages.success(request, "已保存")
                return redirect(res.url("detail", saved))
        return render(
            request,
            "core/generic_form.html",
            {"resource": res, "form": form, "object": instance},
        )


class ObjectAction(ResourceView):
    """A POST-only action on one record (e.g. place a person on a post), run by an
    `ActionForm`; errors come back as messages on the record's page."""

    action = "change"
    form_class: Any = None
    # "edit": the record must be inside the user's own jurisdiction; "read": any record the
    # user sees (a district-wide class takes trainees from every township — the service
    # checks the person against the user's jurisdiction).
    parent_scope = "edit"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return redirect(self.resource.url("detail", get_object_or_404(self._scope(), pk=pk)))

    def _scope(self) -> Any:
        if self.parent_scope == "read":
            return self.resource.queryset(self.request.user)
        return self.resource.edit_queryset(self.request.user)

    def get_permission_required(self) -> list[str]:
        return list(self.form_class.permissions) or super().get_permission_required()

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        obj = get_object_or_404(self._scope(), pk=pk)
        form = self.form_class(request.POST, user=request.user, parent=obj)
        if form.is_valid() and run_service(form, form.run) is not None:
            messages.success(request, form.done_message)
        else:
            for field, errors in form.errors.items():
                label = form.fields[field].label if field in form.fields else ""
                for error in errors:
                    messages.error(request, f"{label}：{error}" if label else error)
        return redirect(self.resource.url("detail", obj))


# --- forms --------------------------------------------------------------------------


class PersonPicker(forms.Widget):
    """A name/pinyin search that fills a select of matching people in the user's
    jurisdiction (masked IDs only); the submitted value is the person's id. Only the
    chosen person is rendered, never the whole registry."""

    template_name = "core/generic_person_picker.html"
    queryset: Any = Person.objects.none()

    def get_context(self, name: str, value: Any, attrs: Any) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        person = None
        if value and str(value).isdigit():
            person = self.queryset.filter(pk=value).first()
        context["selected"] = (person.pk, person_label(person)) if person else None
        return context


def person_choice(user: Any, label: str = "人员") -> forms.ModelChoiceField:
    queryset = Person.objects.for_user(user).filter(removed_on__isnull=True)
    widget = PersonPicker()
    widget.queryset = queryset
    return forms.ModelChoiceField(label=label, queryset=queryset, widget=widget)


def person_label(person: Person) -> str:
    return f"{person.name}（{masked(person.id_number)}）"


class ScopedFormMixin:
    """Sets up region pickers, person pickers and scoped choices for a form and `user`."""

    region_fields: tuple[str, ...] = ("region",)  # picked within the jurisdiction
    code_fields: tuple[str, ...] = ()  # any region by code (e.g. a destination)
    date_widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

    def setup(self, user: Any) -> None:
        self.user = user
        fields: dict[str, forms.Field] = self.fields  # type: ignore[attr-defined]
        for name in self.region_fields:
            if name in fields:
                old = fields[name]
                fields[name] = forms.CharField(
                    label=old.label,
                    required=old.required,
                    widget=RegionPicker(user=user, allow_township=True),
                )
        for name in self.code_fields:
            if name in fields:
                old = fields[name]
                fields[name] = forms.CharField(
                    label=old.label, required=old.required, help_text="区划代码（可为省、市、区县）"
                )
        instance = getattr(self, "instance", None)
        for name, field in fields.items():
            if name in (*self.region_fields, *self.code_fields) and instance and instance.pk:
                self.initial[name] = getattr(instance, f"{name}_id")  # type: ignore[attr-defined]
            if isinstance(field, forms.DateField):
                field.widget = self.date_widget
            elif isinstance(field, forms.ModelChoiceField):
                model = field.queryset.model
                if model is Person:
                    fields[name] = person_choice(user, str(field.label))
                elif model is not Region and hasattr(model.objects, "for_user"):
                    field.queryset = model.objects.for_user(user)

    def clean_region_codes(self, data: dict[str, Any]) -> None:
        for name in (*self.region_fields, *self.code_fields):
            code = (data.get(name) or "").strip()
            if code and not Region.objects.filter(code=code).exists():
                self.add_error(name, f"区划代码 {code} 不存在")  # type: ignore[attr-defined]


class ServiceForm(ScopedFormMixin, forms.ModelForm):
    """A ModelForm whose save() calls `service(acting_user=, instance=, data=)`.
    Region fields arrive as codes (`region_id` in the data)."""

    service: Callable[..., Any] = None  # type: ignore[assignment]

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.setup(user)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        self.clean_region_codes(data)
        return data

    def _post_clean(self) -> None:
        # Validation and uniqueness are the service's job (with clear messages).
        pass

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        for name in (*self.region_fields, *self.code_fields):
            if name in data:
                data[f"{name}_id"] = data.pop(name) or None
        return data

    def save(self, commit: bool = True) -> Any:
        instance = self.instance if self.instance.pk else None
        return type(self).service(
            acting_user=self.user, instance=instance, data=self.service_data()
        )


class ActionForm(ScopedFormMixin, forms.Form):
    """A form for an `ObjectAction`: `run()` calls the service with `self.parent`."""

    permissions: tuple[str, ...] = ()
    done_message = "已完成"

    def __init__(self, *args: Any, user: Any, parent: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.parent = parent
        self.setup(user)

    def run(self) -> Any:
        raise NotImplementedError


# --- person search ------------------------------------------------------------------


@login_required
@permission_required("registry.view_person", raise_exception=True)
def person_options(request: HttpRequest) -> HttpResponse:
    """<option>s of people in the jurisdiction matching a name, pinyin or initials.
    Full ID numbers are not searched here (they would travel in a URL)."""
    text = next((v for k, v in request.GET.items() if k == "q" or k.endswith("__q")), "")
    text = text.strip()
    people: list[Person] = []
    condition = matching_people(text) if text and not looks_like_id_number(text) else None
    if condition is not None:
        people = list(
            Person.objects.for_user(request.user)
            .filter(condition, removed_on__isnull=True)
            .select_related("household__village")
            .order_by("name", "id")[:30]
        )
    options = [(p.pk, f"{person_label(p)} {p.household.village.short_name}") for p in people]
    return render(request, "core/generic_person_options.html", {"options": options, "q": text})
