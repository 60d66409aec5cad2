"""Every URL of the site, each with a path that reaches it, and the objects those paths
name; for the permission matrix (tests/test_permissions_matrix.py) and the crafted-input
property test (tests/test_no_server_errors.py).

A route is what Django's resolver calls it (ResolverMatch.route), so a new URL shows up
in `http_routes()` and fails both tests until it has a path here and a row in the matrix.
"""

from __future__ import annotations

from importlib import import_module

from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.urls import URLResolver, get_resolver

from api.services import token_create
from tests.catalogue.helpers import make_summary
from tests.videos.factories import ExampleFactory, SummaryFactory, TemplateFactory, TranscriptFactory, UserFactory
from videos.models import Topic, Video

# The roles of the matrix: how each user is made (groups from the migrations, staff flag).
ROLES = {
    "anonymous": None,
    "no_group": ((), False),
    "viewer": (("Viewers",), False),
    "submitter": (("Submitters",), False),
    "curator": (("Curators",), True),
    "staff": ((), True),
}


def groups_as_migrated() -> None:
    """Make the role groups the way the migrations leave them, for a transactional test
    (the flush after an earlier one empties the table; serialized_rollback cannot bring
    them back once other tests re-created the content types): migration 0002's groups,
    less the permission migration 0015 took from Submitters."""
    granted = import_module("videos.migrations.0002_groups").GROUPS
    taken = import_module("videos.migrations.0015_submitters_cancel_own")
    for name, perms in granted.items():
        group, _ = Group.objects.get_or_create(name=name)
        for app_label, codename in perms:
            if (name, (app_label, codename)) != (taken.GROUP, taken.PERMISSION):
                group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def role_user(role: str, username: str | None = None):
    """The user of a role (None for anonymous), in the groups migration 0002 made."""
    if ROLES[role] is None:
        return None
    groups, staff = ROLES[role]
    user = UserFactory(username=username or f"role-{role}", is_staff=staff)
    user.groups.add(*Group.objects.filter(name__in=groups))
    assert user.groups.count() == len(groups), f"groups {groups} missing (flushed database?)"
    return user


def _walk(patterns, prefix: str = ""):
    for pattern in patterns:
        route = URLResolver._join_route(prefix, str(pattern.pattern)) if prefix else str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, route)
        else:
            yield route


def http_routes() -> list[str]:
    """Every route of the URL conf, as ResolverMatch.route spells it."""
    return list(_walk(get_resolver().url_patterns))


def _admin_model(label: str, *, obj: str, history_form: bool = False) -> dict[str, str]:
    """The URLs Django's ModelAdmin (and simple_history's) gives one model."""
    base = f"admin/{label}/"
    paths = {
        base: f"/{base}",
        f"{base}add/": f"/{base}add/",
        f"{base}<path:object_id>/history/": f"/{base}{{{obj}}}/history/",
        f"{base}<path:object_id>/delete/": f"/{base}{{{obj}}}/delete/",
        f"{base}<path:object_id>/change/": f"/{base}{{{obj}}}/change/",
        f"{base}<path:object_id>/": f"/{base}{{{obj}}}/",
    }
    if history_form:
        paths[f"{base}([^/]+)/history/([^/]+)/$"] = f"/{base}{{{obj}}}/history/{{{obj}_history}}/"
    return paths


# django-axes' records of logins (its admin pages are in the URL conf).
AXES_MODELS = ("accessattempt", "accesslog", "accessfailurelog")

# route -> a path that reaches it, with {placeholders} that World fills with ids.
PATHS: dict[str, str] = {
    "": "/",
    "summaries/<int:pk>/": "/summaries/{summary}/",
    "summaries/<int:pk>.json": "/summaries/{summary}.json",
    "summaries/<int:pk>.md": "/summaries/{summary}.md",
    "summaries/compare/": "/summaries/compare/?a={summary}&b={other}",
    "summaries/<int:pk>/make-current/": "/summaries/{other}/make-current/",
    "summaries/<int:pk>/regenerate/": "/summaries/{summary}/regenerate/",
    "summaries/<int:pk>/progress/": "/summaries/{queued}/progress/",
    "summaries/<int:pk>/cancel/": "/summaries/{queued}/cancel/",
    "queue/": "/queue/",
    "videos/": "/videos/",
    "videos/add/": "/videos/add/",
    "videos/add/result/<str:key>/": "/videos/add/result/not-kept/",
    "videos/upload/": "/videos/upload/",
    "videos/<str:youtube_id>/": "/videos/{video}/",
    "videos/<str:youtube_id>/transcript-state/": "/videos/{video}/transcript-state/",
    "videos/<str:youtube_id>/fetch/": "/videos/{video}/fetch/",
    "videos/<str:youtube_id>/summarize/": "/videos/{video}/summarize/",
    "summaries/queue-seed/": "/summaries/queue-seed/",
    "accounts/login/": "/accounts/login/",
    "accounts/logout/": "/accounts/logout/",
    "admin/": "/admin/",
    "admin/login/": "/admin/login/",
    "admin/logout/": "/admin/logout/",
    "admin/password_change/": "/admin/password_change/",
    "admin/password_change/done/": "/admin/password_change/done/",
    "admin/autocomplete/": "/admin/autocomplete/",
    "admin/jsi18n/": "/admin/jsi18n/",
    "admin/r/<path:content_type_id>/<path:object_id>/": "/admin/r/{video_type}/{video_pk}/",
    "admin/(?P<app_label>auth|axes|videos|api)/$": "/admin/videos/",
    "admin/(?P<url>.*)$": "/admin/nope/",
    "admin/auth/user/<id>/password/": "/admin/auth/user/{owner}/password/",
    "admin/videos/fewshotexample/validate/": "/admin/videos/fewshotexample/validate/",
    "admin/videos/fewshotexample/<int:pk>/preview/": "/admin/videos/fewshotexample/{example}/preview/",
    **{route: path for model in AXES_MODELS for route, path in _admin_model(f"axes/{model}", obj=model).items()},
    **_admin_model("auth/group", obj="group"),
    **_admin_model("auth/user", obj="owner"),
    **_admin_model("videos/summary", obj="summary"),
    **_admin_model("videos/topic", obj="topic"),
    **_admin_model("videos/video", obj="video_pk"),
    **_admin_model("videos/transcript", obj="transcript"),
    **_admin_model("videos/prompttemplate", obj="template", history_form=True),
    **_admin_model("videos/fewshotexample", obj="example", history_form=True),
    **_admin_model("api/apitoken", obj="token"),
    "api/v1/summaries/": "/api/v1/summaries/",
    "api/v1/summaries/<int:pk>/": "/api/v1/summaries/{summary}/",
    "api/v1/summaries/<int:pk>/export.json": "/api/v1/summaries/{summary}/export.json",
    "api/v1/summaries/<int:pk>/export.md": "/api/v1/summaries/{summary}/export.md",
    "api/v1/summaries/<int:pk>/make-current/": "/api/v1/summaries/{other}/make-current/",
    "api/v1/videos/": "/api/v1/videos/",
    "api/v1/videos/<str:youtube_id>/": "/api/v1/videos/{video}/",
    "api/v1/videos/<str:youtube_id>/transcript/": "/api/v1/videos/{video}/transcript/",
    "api/v1/videos/<str:youtube_id>/transcript/fetch/": "/api/v1/videos/{video}/transcript/fetch/",
    "api/v1/jobs/": "/api/v1/jobs/",
    "api/v1/jobs/<int:pk>/": "/api/v1/jobs/{queued}/",
    "api/v1/jobs/<int:pk>/cancel/": "/api/v1/jobs/{queued}/cancel/",
    "api/v1/jobs/<int:pk>/progress/": "/api/v1/jobs/{queued}/progress/",
    "api/v1/templates/": "/api/v1/templates/",
    "api/v1/templates/<int:pk>/": "/api/v1/templates/{template}/",
    "api/v1/examples/": "/api/v1/examples/",
    "api/v1/examples/<int:pk>/": "/api/v1/examples/{example}/",
    "api/v1/schema/": "/api/v1/schema/",
    "api/v1/docs/": "/api/v1/docs/",
    "api/v1/(?P<rest>.*)$": "/api/v1/nope/",
    "api/tokens/": "/api/tokens/",
    "api/tokens/<int:pk>/revoke/": "/api/tokens/{token}/revoke/",
}


def world() -> dict[str, int | str]:
    """The objects every path names, by placeholder: a video with a transcript and two
    done summaries (the first current), a summary queued by another curator (`owner`),
    a template with its history and an example."""
    owner = role_user("curator", username="owner")
    template = TemplateFactory(name="matrix")
    example = ExampleFactory(template=template)
    video = TranscriptFactory().video
    summary = make_summary(video=video, template=template, minutes=1)
    other = make_summary(video=video, template=template, minutes=2)
    queued = SummaryFactory(video=video, template=template, requested_by=owner)
    return {
        "owner": owner.pk,
        "group": Group.objects.get(name="Viewers").pk,
        "template": template.pk,
        "template_history": template.history.first().history_id,
        "example": example.pk,
        "example_history": example.history.first().history_id,
        "video": video.youtube_id,
        "video_pk": video.pk,
        "video_type": ContentType.objects.get_for_model(Video).pk,
        "transcript": video.transcript.pk,
        "summary": summary.pk,
        "other": other.pk,
        "queued": queued.pk,
        "topic": Topic.objects.first().pk,
        "token": token_create(user=owner, name="matrix")[0].pk,
        **{model: _axes_record(model) for model in AXES_MODELS},
    }


def _axes_record(model: str) -> int:
    """A login record of someone else, from an address no test logs in from (a login
    resets the records of its username and address)."""
    extra = {"failures_since_start": 1} if model == "accessattempt" else {}
    return apps.get_model("axes", model).objects.create(username="someone", ip_address="192.0.2.1", **extra).pk


def path_for(route: str, ids: dict) -> str:
    return PATHS[route].format(**ids)
