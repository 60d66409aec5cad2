from django import forms
from django.conf import settings

from .ingest.subtitles import ACCEPTED_EXTENSIONS
from .ingest.urls import InvalidVideoURL, parse_video_id

MAX_PASTE_LINES = 500


class SubmitForm(forms.Form):
    urls = forms.CharField(
        label="YouTube URLs or ids, one per line",
        widget=forms.Textarea(attrs={"rows": 10, "placeholder": "https://www.youtube.com/watch?v=…\nhttps://youtu.be/…"}),
        max_length=200_000,
    )

    def clean_urls(self):
        text = self.cleaned_data["urls"]
        if len(text.splitlines()) > MAX_PASTE_LINES:
            raise forms.ValidationError(f"At most {MAX_PASTE_LINES} lines at once; split the list.")
        return text


class SubtitleField(forms.FileField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", "Subtitle file")
        kwargs.setdefault("help_text", f"{', '.join(ACCEPTED_EXTENSIONS)} (YouTube's JSON too), up to {settings.SUBTITLE_MAX_BYTES // 1024} KiB")
        super().__init__(**kwargs)
        self.widget.attrs["accept"] = ",".join(ACCEPTED_EXTENSIONS)


class UploadForm(forms.Form):
    file = SubtitleField()
    replace = forms.BooleanField(required=False, label="Replace the existing transcript")
    queue_summary = forms.BooleanField(required=False, initial=True, label="Queue a summary afterwards")


class UploadNewForm(UploadForm):
    url = forms.CharField(label="YouTube URL or id", max_length=500)
    field_order = ["url", "file", "replace", "queue_summary"]

    def clean_url(self):
        try:
            return parse_video_id(self.cleaned_data["url"])
        except InvalidVideoURL as exc:
            raise forms.ValidationError(str(exc)) from None
