"""DRF defaults named in settings.REST_FRAMEWORK. Kept apart from the viewsets module:
DRF imports these while building APIView, so they must not import views themselves."""

from rest_framework import pagination, permissions


class PageNumberPagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


class ScopedModelPermissions(permissions.DjangoModelPermissions):
    """Model permissions including `view` for reads; jurisdiction comes from `for_user`."""

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }
