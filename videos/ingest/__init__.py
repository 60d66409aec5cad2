"""Django-free ingestion building blocks.

* :mod:`videos.ingest.urls` - YouTube URLs: parsing them, and building watch
  and thumbnail URLs (the only place that does).
* :mod:`videos.ingest.fetch` - transcript fetching with youtube-transcript-api,
  one attempt per call.
* :mod:`videos.ingest.fetch_errors` - :class:`FetchError` and the mapping of
  library and network errors to codes and user-facing messages.
* :mod:`videos.ingest.subtitles` - parsing of uploaded subtitle files
  (size cap, encoding detection); the formats themselves are in
  :mod:`videos.ingest.subtitle_formats`.
* :mod:`videos.ingest.types` - the shared :class:`~videos.ingest.types.Segment`.

Nothing in this package imports Django, so it can be used (and tested)
without settings being configured.
"""
