"""/api/v1/ (the API, its schema and docs) and /api/tokens/ (the page that makes tokens)."""

from django.urls import include, path, re_path

from .views import curation, docs, jobs, summaries, tokens, videos

app_name = "api"

v1 = [
    path("summaries/", summaries.SummaryList.as_view(), name="summaries"),
    path("summaries/<int:pk>/", summaries.SummaryDetail.as_view(), name="summary"),
    path("summaries/<int:pk>/export.json", summaries.SummaryJsonExport.as_view(), name="summary-json"),
    path("summaries/<int:pk>/export.md", summaries.SummaryMarkdownExport.as_view(), name="summary-markdown"),
    path("summaries/<int:pk>/make-current/", summaries.SummaryMakeCurrent.as_view(), name="summary-make-current"),
    path("videos/", videos.VideoList.as_view(), name="videos"),
    path("videos/<str:youtube_id>/", videos.VideoDetail.as_view(), name="video"),
    path("videos/<str:youtube_id>/transcript/", videos.TranscriptUpload.as_view(), name="video-transcript"),
    path("videos/<str:youtube_id>/transcript/fetch/", videos.TranscriptFetch.as_view(), name="video-fetch"),
    path("jobs/", jobs.JobList.as_view(), name="jobs"),
    path("jobs/<int:pk>/", jobs.JobDetail.as_view(), name="job"),
    path("jobs/<int:pk>/cancel/", jobs.JobCancel.as_view(), name="job-cancel"),
    path("jobs/<int:pk>/progress/", jobs.JobProgress.as_view(), name="job-progress"),
    path("templates/", curation.TemplateList.as_view(), name="templates"),
    path("templates/<int:pk>/", curation.TemplateDetail.as_view(), name="template"),
    path("examples/", curation.ExampleList.as_view(), name="examples"),
    path("examples/<int:pk>/", curation.ExampleDetail.as_view(), name="example"),
    path("schema/", docs.schema_view, name="schema"),
    path("docs/", docs.docs, name="docs"),
]

urlpatterns = [
    path("v1/", include(v1)),
    re_path(r"^v1/(?P<rest>.*)$", docs.not_found, name="not_found"),
    path("tokens/", tokens.token_page, name="tokens"),
    path("tokens/<int:pk>/revoke/", tokens.token_revoke_view, name="token_revoke"),
]
