"""Django-free ingestion building blocks.

* :mod:`videos.ingest.urls` - YouTube URL / id parsing.
* :mod:`videos.ingest.fetch` - transcript fetching with youtube-transcript-api.
* :mod:`videos.ingest.subtitles` - parsing of uploaded subtitle files.
* :mod:`videos.ingest.types` - the shared :class:`Segment` dataclass.

Nothing in this package imports Django, so it can be used (and tested)
without settings being configured.
"""

from .types import Segment, join_segments, normalize_text

__all__ = ["Segment", "join_segments", "normalize_text"]
