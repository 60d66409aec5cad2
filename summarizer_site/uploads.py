"""A size limit on uploaded files that holds while the body streams in.

Django's DATA_UPLOAD_MAX_MEMORY_SIZE leaves file parts out, so a 50 MB "subtitle
file" used to be spooled to disk whole and then read into memory by the view before
the parser saw it was too large. This handler comes first in FILE_UPLOAD_HANDLERS:
a request whose declared length cannot fit, or a file whose bytes pass the limit,
has that file dropped (SkipFile: its remaining bytes are discarded chunk by chunk,
never stored), while the other fields, the CSRF token among them, are parsed as
usual. The view asks `refused_uploads(request)` and says why instead of "This field
is required".
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile

# What the form's other fields and the multipart framing may add to one file.
FORM_OVERHEAD_BYTES = 64 * 1024


def upload_limit() -> int:
    """The largest file the site accepts (a subtitle file is the only kind it takes)."""
    return settings.SUBTITLE_MAX_BYTES


def refused_uploads(request) -> list[str]:
    """Names of the files this request sent that were dropped for their size."""
    return list(getattr(request, "refused_uploads", ()))


class UploadSizeLimit(FileUploadHandler):
    """Drops any file past upload_limit() before it is stored anywhere."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        # Known before a byte of the body is parsed: a body this long holds a file too
        # large, so every file in it is dropped at its first byte.
        self.body_too_large = content_length > upload_limit() + FORM_OVERHEAD_BYTES
        self.request.refused_uploads = []
        return None

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        if self.body_too_large or (self.content_length or 0) > upload_limit():
            self._refuse()

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > upload_limit():
            self._refuse()
        return raw_data

    def file_complete(self, file_size):
        return None  # the handlers after this one store the file

    def _refuse(self):
        self.request.refused_uploads.append(self.file_name or self.field_name)
        raise SkipFile(f"{self.file_name}: larger than {upload_limit()} bytes")
