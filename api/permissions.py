"""The pages' roles, for the API: each view names the Django permissions each of its
methods needs, the ones the pages' views ask for. Viewers, Submitters and Curators are
the groups that hold them (videos migration 0002), so an account gets the same rights
through a token as in the browser."""

from __future__ import annotations

from rest_framework.permissions import BasePermission

READ_METHODS = ("GET", "HEAD", "OPTIONS")

# What reading the catalogue takes on the pages: every group has it, a bare account not.
VIEW_SUMMARY = "videos.view_summary"
VIEW_VIDEO = ("videos.view_video", "videos.view_transcript")


class RolePermission(BasePermission):
    """`view.required_perms`: {"GET": (perm, ...), "POST": (...)}; a method missing from
    it is refused. A request with no user gets 401 (DRF: not authenticated), one whose
    user lacks a permission 403."""

    message = "Your account may not do this; ask a curator for the right group."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if not hasattr(view, request.method.lower()):
            return True  # the view answers 405: the method does not exist, whoever asks
        method = "GET" if request.method in READ_METHODS else request.method
        needed = view.required_perms.get(method)
        return needed is not None and user.has_perms(needed)
