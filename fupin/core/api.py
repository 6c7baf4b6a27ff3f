from rest_framework import pagination, permissions


class PageNumberPagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


class ScopedModelPermissions(permissions.DjangoModelPermissions):
    """Model permissions including view for reads; jurisdiction comes from `for_user`."""

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }
