"""YouTube's recorded responses, as youtube-transcript-api ships them with its
own test suite (``youtube_transcript_api/test/assets``), and the URLs they
answer, served with ``responses``. Shared by the fetcher's tests and the
Django-side ingestion tests."""

from contextlib import contextmanager
from pathlib import Path

import pytest
import responses
import youtube_transcript_api

ASSETS = Path(youtube_transcript_api.__file__).resolve().parent / "test" / "assets"
WATCH = "https://www.youtube.com/watch"
PLAYER = "https://www.youtube.com/youtubei/v1/player"
TIMEDTEXT = "https://www.youtube.com/api/timedtext"


def asset(name: str) -> bytes:
    path = ASSETS / name
    if not path.exists():
        pytest.fail(f"recorded response {path} is missing: the installed youtube-transcript-api "
                    "no longer ships its test assets")
    return path.read_bytes()


@contextmanager
def happy_youtube():
    """YouTube's happy path, as in the library's own test setUp; any other URL
    makes ``responses`` raise ConnectionError (nothing reaches the network)."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.post(PLAYER, body=asset("youtube.innertube.json.static"), content_type="application/json")
        rsps.get(WATCH, body=asset("youtube.html.static"))
        rsps.get(TIMEDTEXT, body=asset("transcript.xml.static"))
        yield rsps
