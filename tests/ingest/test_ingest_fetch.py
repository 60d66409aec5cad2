"""The fetcher against YouTube's recorded responses.

The recorded responses are the assets youtube-transcript-api ships with its
own test-suite (``youtube_transcript_api/test/assets`` in the installed
package); they are served with ``responses`` for the same URLs the library's
own ``test_api.py`` serves them for. Nothing touches the network: an
unregistered URL makes ``responses`` raise ConnectionError.
"""

import inspect
import json
import pickle
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from youtube_transcript_api import _errors as yta_errors

from videos.ingest import fetch as fetch_module
from videos.ingest import fetch_errors
from videos.ingest.fetch import FetchSettings, fetch_transcript, get_client, reset_client_cache
from videos.ingest.fetch_errors import FETCH_ERROR_CODES, FetchError, ForbiddenHostError, error_from_exception
from videos.ingest.types import Segment

from .recorded import PLAYER, TIMEDTEXT, WATCH, asset, happy_youtube

VIDEO = "GJLlxj_dtq8"

REFERENCE_SEGMENTS = [
    Segment(0.0, 1.54, "Hey, this is just a test"),
    Segment(1.54, 4.16, "this is not the original transcript"),
    Segment(5.7, 3.239, "just something shorter, I made up for testing"),
]


@pytest.fixture(autouse=True)
def fresh_clients():
    reset_client_cache()
    yield
    reset_client_cache()


@pytest.fixture
def yt():
    with happy_youtube() as rsps:
        yield rsps


SETTINGS = FetchSettings()


def timedtext_params(rsps) -> dict:
    calls = [c for c in rsps.calls if c.request.url.startswith(TIMEDTEXT)]
    assert len(calls) == 1
    return parse_qs(urlsplit(calls[0].request.url).query)


def replace_player(rsps, body: bytes):
    rsps.replace(responses.POST, PLAYER, body=body, content_type="application/json")


def fetch_error(video_id=VIDEO, settings=SETTINGS) -> FetchError:
    with pytest.raises(FetchError) as info:
        fetch_transcript(video_id, settings)
    return info.value


def player_posts(rsps) -> int:
    return len([c for c in rsps.calls if c.request.method == "POST"])


# --------------------------------------------------------------------------
# success


def test_fetch_success_manual_english(yt):
    result = fetch_transcript(VIDEO, SETTINGS)
    assert result.video_id == VIDEO
    assert result.source == "youtube_manual"
    assert (result.language_code, result.language) == ("en", "English")
    assert result.segments == REFERENCE_SEGMENTS  # the empty <text> snippet is dropped
    assert result.full_text == (
        "Hey, this is just a test this is not the original transcript "
        "just something shorter, I made up for testing"
    )
    assert result.fallback is False and result.note == ""
    params = timedtext_params(yt)
    assert params["lang"] == ["en"]
    assert "kind" not in params  # the manual track, not the asr one
    assert [urlsplit(c.request.url).hostname for c in yt.calls] == ["www.youtube.com"] * 3


def test_preferred_languages_in_order(yt):
    result = fetch_transcript(VIDEO, FetchSettings(languages=("xx", "de", "en")))
    assert (result.language_code, result.source) == ("de", "youtube_manual")
    assert timedtext_params(yt)["lang"] == ["de"]


def test_manual_preferred_over_generated_across_languages(yt):
    # only a generated track for the first language: a manual one in the second wins
    data = json.loads(asset("youtube.innertube.json.static"))
    tracks = data["captions"]["playerCaptionsTracklistRenderer"]["captionTracks"]
    data["captions"]["playerCaptionsTracklistRenderer"]["captionTracks"] = [
        t for t in tracks if not (t["languageCode"] == "en" and t.get("kind") != "asr")
    ]
    replace_player(yt, json.dumps(data).encode())
    result = fetch_transcript(VIDEO, FetchSettings(languages=("en", "cs")))
    assert (result.language_code, result.source) == ("cs", "youtube_manual")


def test_generated_when_no_manual_track(yt):
    data = json.loads(asset("youtube.innertube.json.static"))
    renderer = data["captions"]["playerCaptionsTracklistRenderer"]
    renderer["captionTracks"] = [t for t in renderer["captionTracks"] if t.get("kind") == "asr"]
    replace_player(yt, json.dumps(data).encode())

    result = fetch_transcript(VIDEO, FetchSettings(languages=("en",)))
    assert result.source == "youtube_generated"
    assert result.language == "English (auto-generated)"
    assert result.fallback is False
    assert timedtext_params(yt)["kind"] == ["asr"]


def test_fallback_to_any_manual_transcript_is_reported(yt):
    result = fetch_transcript(VIDEO, FetchSettings(languages=("fr", "it")))
    assert result.fallback is True
    assert result.source == "youtube_manual"
    assert result.language_code == "zh"  # the first manual track listed
    assert "fr, it" in result.note and "Chinese (zh)" in result.note


def test_fallback_to_generated_when_no_manual_track(yt):
    data = json.loads(asset("youtube.innertube.json.static"))
    renderer = data["captions"]["playerCaptionsTracklistRenderer"]
    renderer["captionTracks"] = [t for t in renderer["captionTracks"] if t.get("kind") == "asr"]
    replace_player(yt, json.dumps(data).encode())
    result = fetch_transcript(VIDEO, FetchSettings(languages=("fr",)))
    assert (result.fallback, result.source, result.language_code) == (True, "youtube_generated", "en")
    assert "auto-generated" in result.note


def test_ww1_recording_falls_back_from_de_to_en(yt):
    replace_player(yt, asset("youtube_ww1_nl_en.innertube.json.static"))
    result = fetch_transcript("F1xioXWb8CY", FetchSettings(languages=("de", "en")))
    assert (result.language_code, result.source, result.fallback) == ("en", "youtube_manual", False)


def test_no_tracks_at_all_is_no_transcript(yt):
    data = json.loads(asset("youtube.innertube.json.static"))
    data["captions"]["playerCaptionsTracklistRenderer"]["captionTracks"] = []
    replace_player(yt, json.dumps(data).encode())
    error = fetch_error()
    assert (error.code, error.retryable) == ("no_transcript", False)


def test_empty_transcript(yt):
    yt.replace(responses.GET, TIMEDTEXT, body=b'<?xml version="1.0"?><transcript><text start="0"></text></transcript>')
    error = fetch_error()
    assert error.code == "empty_transcript" and not error.retryable


def test_consent_page_is_accepted_then_succeeds(yt):
    yt.replace(responses.GET, WATCH, body=asset("youtube_consent_page.html.static"))
    yt.add(responses.GET, WATCH, body=asset("youtube.html.static"))
    result = fetch_transcript("F1xioXWb8CY", SETTINGS)
    assert result.segments == REFERENCE_SEGMENTS
    assert len(yt.calls) == 4
    assert yt.calls[1].request.headers["cookie"] == "CONSENT=YES+cb.20210328-17-p0.de+FX+119"


# --------------------------------------------------------------------------
# recorded error responses: code, retry behaviour, message


@pytest.mark.parametrize(
    "player_asset,video_id,code",
    [
        ("youtube_transcripts_disabled.innertube.json.static", "dsMFmonKDD4", "transcripts_disabled"),
        ("youtube_transcripts_disabled2.innertube.json.static", "Fjg5lYqvzUs", "transcripts_disabled"),
        ("youtube_video_unavailable.innertube.json.static", "abcdefghijk", "video_unavailable"),
        ("youtube_unplayable.innertube.json.static", "Njp5uhTorCo", "video_unplayable"),
        ("youtube_age_restricted.innertube.json.static", "Njp5uhTorCo", "age_restricted"),
        ("youtube_po_token_required.innertube.json.static", VIDEO, "po_token_required"),
    ],
)
def test_final_errors_are_not_retryable(yt, player_asset, video_id, code):
    replace_player(yt, asset(player_asset))
    client = get_client(SETTINGS)
    error = fetch_error(video_id)
    assert error.code == code
    assert error.retryable is False
    assert player_posts(yt) == 1  # one attempt per call: retrying is the task's job
    assert get_client(SETTINGS) is client  # the session is kept: nothing to retry
    assert error.video_id == video_id
    assert error.message and "youtube_transcript_api" not in error.message
    assert error.hint
    assert isinstance(error.__cause__, yta_errors.CouldNotRetrieveTranscript)


def test_unplayable_message_carries_youtube_reason(yt):
    replace_player(yt, asset("youtube_unplayable.innertube.json.static"))
    error = fetch_error("Njp5uhTorCo")
    assert "Custom Reason" in error.message
    assert "Sub Reason 1" in error.message and "Sub Reason 2" in error.message


def test_transcripts_disabled_suggests_upload(yt):
    replace_player(yt, asset("youtube_transcripts_disabled.innertube.json.static"))
    error = fetch_error("dsMFmonKDD4")
    assert "Upload a subtitle file" in error.hint


def test_request_blocked_is_retryable_after_one_attempt(yt):
    replace_player(yt, asset("youtube_request_blocked.innertube.json.static"))
    client = get_client(SETTINGS)
    error = fetch_error("Njp5uhTorCo")
    assert error.code == "request_blocked" and error.retryable
    assert player_posts(yt) == 1
    # the next attempt starts on a fresh session (new connection, maybe a new proxy exit)
    assert get_client(SETTINGS) is not client
    assert "YOUTUBE_PROXY_HTTP" in error.hint and "YOUTUBE_PROXY_HTTPS" in error.hint
    assert "Upload" in error.hint


def test_request_blocked_with_proxy_mentions_the_proxy(yt):
    replace_player(yt, asset("youtube_request_blocked.innertube.json.static"))
    error = fetch_error("Njp5uhTorCo", FetchSettings(proxy_https="http://proxy.example:3128"))
    assert error.retryable
    assert "proxy" in error.message


def test_too_many_requests_recaptcha_page(yt):
    yt.replace(responses.GET, WATCH, body=asset("youtube_too_many_requests.html.static"))
    error = fetch_error()
    assert error.code == "too_many_requests" and error.retryable
    assert len([c for c in yt.calls if c.request.url.startswith(WATCH)]) == 1
    assert "YOUTUBE_PROXY_HTTP" in error.hint


def test_http_429_on_timedtext(yt):
    yt.replace(responses.GET, TIMEDTEXT, status=429)
    error = fetch_error()
    assert (error.code, error.retryable) == ("too_many_requests", True)
    assert len([c for c in yt.calls if c.request.url.startswith(TIMEDTEXT)]) == 1


def test_blocked_then_recovers_on_the_next_attempt(yt):
    replace_player(yt, asset("youtube_request_blocked.innertube.json.static"))
    yt.add(responses.POST, PLAYER, body=asset("youtube.innertube.json.static"), content_type="application/json")
    assert fetch_error().retryable
    result = fetch_transcript(VIDEO, SETTINGS)
    assert result.segments == REFERENCE_SEGMENTS
    assert player_posts(yt) == 2


def test_http_500_is_retryable(yt):
    yt.replace(responses.POST, PLAYER, status=500)
    error = fetch_error()
    assert (error.code, error.retryable) == ("youtube_error", True)
    assert "500" in error.message
    assert player_posts(yt) == 1


def test_http_404_is_not_retryable(yt):
    yt.replace(responses.POST, PLAYER, status=404)
    error = fetch_error()
    assert (error.code, error.retryable) == ("youtube_error", False)
    assert player_posts(yt) == 1


@pytest.mark.parametrize("consent_asset", ["youtube_consent_page.html.static", "youtube_consent_page_invalid.html.static"])
def test_consent_cookie_failure(yt, consent_asset):
    yt.replace(responses.GET, WATCH, body=asset(consent_asset))
    error = fetch_error("F1xioXWb8CY")
    assert (error.code, error.retryable) == ("consent_failed", False)
    assert "consent" in error.message


def test_invalid_video_id_is_refused_without_network():
    with responses.RequestsMock() as rsps:  # any request would fail the test
        error = fetch_error("https://www.youtube.com/watch?v=GJLlxj_dtq8")
        assert len(rsps.calls) == 0
    assert (error.code, error.retryable) == ("invalid_video_id", False)


# --------------------------------------------------------------------------
# network errors


def test_network_error_is_retryable_after_one_attempt():
    with responses.RequestsMock() as rsps:
        rsps.get(WATCH, body=requests.exceptions.ConnectionError("connection reset"))
        error = fetch_error()
        assert len(rsps.calls) == 1
    assert (error.code, error.retryable) == ("network", True)
    assert isinstance(error.__cause__, requests.exceptions.ConnectionError)


def test_network_error_then_success(yt):
    yt.replace(responses.GET, WATCH, body=requests.exceptions.ConnectionError("reset"))
    yt.add(responses.GET, WATCH, body=asset("youtube.html.static"))
    assert fetch_error().code == "network"
    assert fetch_transcript(VIDEO, SETTINGS).segments == REFERENCE_SEGMENTS


def test_timeout_maps_to_timeout_code():
    with responses.RequestsMock() as rsps:
        rsps.get(WATCH, body=requests.exceptions.ReadTimeout("read timed out"))
        error = fetch_error(VIDEO, FetchSettings(timeout=7.5))
    assert (error.code, error.retryable) == ("timeout", True)
    assert "7.5 seconds" in error.message


def test_unmapped_exceptions_are_not_hidden(monkeypatch):
    def broken(video_id, settings):
        raise KeyError("a bug, not a fetch failure")

    monkeypatch.setattr(fetch_module, "_fetch_once", broken)
    with pytest.raises(KeyError):
        fetch_transcript(VIDEO, SETTINGS)


# --------------------------------------------------------------------------
# session: timeout, proxy, hosts, per-thread cache


def test_timeout_and_proxy_are_applied_to_requests(yt, monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://env-proxy.invalid:1")  # must not win
    settings = FetchSettings(timeout=3.5, proxy_http="http://proxy.example:3128",
                             proxy_https="http://proxy.example:3129")
    fetch_transcript(VIDEO, settings)
    client = get_client(settings)
    assert client.session.default_timeout == 3.5
    assert client.session.proxies == {"http": "http://proxy.example:3128", "https": "http://proxy.example:3129"}
    assert len(yt.calls) == 3
    for call in yt.calls:
        assert call.request.req_kwargs["timeout"] == 3.5
        assert call.request.req_kwargs["proxies"]["https"] == "http://proxy.example:3129"


def test_no_proxy_by_default_and_default_timeout(yt):
    fetch_transcript(VIDEO, FetchSettings())
    assert get_client(FetchSettings()).session.proxies == {}
    assert all(call.request.req_kwargs["timeout"] == 20.0 for call in yt.calls)


def test_explicit_timeout_is_kept():
    session = fetch_module.YouTubeSession(timeout=9)
    with responses.RequestsMock() as rsps:
        rsps.get(WATCH, body="ok")
        session.get(WATCH, timeout=1)
        assert rsps.calls[0].request.req_kwargs["timeout"] == 1


@pytest.mark.parametrize("url", ["https://evil.com/x", "https://youtube.com.evil.net/", "https://notyoutube.com/",
                                 "ftp://www.youtube.com/"])
def test_session_refuses_other_hosts(url):
    session = fetch_module.YouTubeSession(timeout=1)
    with responses.RequestsMock() as rsps:
        with pytest.raises(ForbiddenHostError):
            session.get(url)
        assert len(rsps.calls) == 0


def test_session_refuses_redirect_to_other_host():
    session = fetch_module.YouTubeSession(timeout=1)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.get(WATCH, status=302, headers={"Location": "https://evil.com/steal"})
        rsps.get("https://evil.com/steal", body="nope")
        with pytest.raises(ForbiddenHostError):
            session.get(WATCH)
        assert [c.request.url for c in rsps.calls] == [WATCH]


def test_client_is_cached_per_thread_and_settings():
    import threading

    a = get_client(SETTINGS)
    assert get_client(SETTINGS) is a
    assert get_client(FetchSettings(languages=("en",), timeout=20.0)) is a  # equal settings
    assert get_client(FetchSettings(timeout=5)) is not a
    other = []
    thread = threading.Thread(target=lambda: other.append(get_client(SETTINGS)))
    thread.start()
    thread.join()
    assert other[0] is not a
    reset_client_cache(SETTINGS)
    assert get_client(SETTINGS) is not a


# --------------------------------------------------------------------------
# settings


def test_settings_proxy_config():
    settings = FetchSettings(proxy_http="http://p:1", proxy_https="")
    assert (settings.proxy_http, settings.proxy_https) == ("http://p:1", None)
    proxy = settings.proxy_config()
    assert proxy.to_requests_dict() == {"http": "http://p:1", "https": "http://p:1"}


def test_settings_defaults():
    assert FetchSettings().proxy_config() is None
    assert FetchSettings().languages == ("en",)
    assert FetchSettings().timeout == 20.0


@pytest.mark.parametrize("kwargs,needle", [
    ({"timeout": 0}, "timeout"),
    ({"timeout": -1.5}, "timeout"),
    ({"languages": (" ", "")}, "languages"),
    ({"languages": ()}, "languages"),
])
def test_settings_reject_bad_values(kwargs, needle):
    with pytest.raises(ValueError, match=needle):
        FetchSettings(**kwargs)


def test_settings_are_hashable_and_normalised():
    settings = FetchSettings(languages=["de", "en"])  # type: ignore[arg-type]
    assert settings.languages == ("de", "en")
    assert hash(settings) == hash(FetchSettings(languages=("de", "en")))
    assert FetchSettings(languages="de").languages == ("de",)


# --------------------------------------------------------------------------
# the mapping covers every error class of the library, deliberately


def library_error_classes():
    return [
        obj for _, obj in inspect.getmembers(yta_errors, inspect.isclass)
        if issubclass(obj, yta_errors.YouTubeTranscriptApiException)
    ]


def test_every_library_error_class_has_its_own_mapping():
    classes = library_error_classes()
    assert len(classes) >= 19  # 19 in youtube-transcript-api 1.2.5
    missing = [c.__name__ for c in classes if c not in fetch_errors._ERROR_TABLE]
    assert missing == []


def test_error_table_codes_are_known_and_short():
    for code in FETCH_ERROR_CODES:
        assert code.isidentifier() and len(code) <= 32
    for exc in [
        yta_errors.TranscriptsDisabled(VIDEO),
        yta_errors.VideoUnavailable(VIDEO),
        yta_errors.InvalidVideoId(VIDEO),
        yta_errors.AgeRestricted(VIDEO),
        yta_errors.PoTokenRequired(VIDEO),
        yta_errors.FailedToCreateConsentCookie(VIDEO),
        yta_errors.YouTubeDataUnparsable(VIDEO),
        yta_errors.NotTranslatable(VIDEO),
        yta_errors.TranslationLanguageNotAvailable(VIDEO),
        yta_errors.VideoUnplayable(VIDEO, None, []),
        yta_errors.NoTranscriptFound(VIDEO, ["en"], "list"),
        yta_errors.CookieError(),
        yta_errors.IpBlocked(VIDEO),
        yta_errors.RequestBlocked(VIDEO),
    ]:
        error = error_from_exception(exc, VIDEO, SETTINGS)
        assert error is not None and error.code in FETCH_ERROR_CODES, exc
        assert error.message and error.hint


EXPECTED_CODES = {
    "TranscriptsDisabled": ("transcripts_disabled", False),
    "NoTranscriptFound": ("no_transcript", False),
    "VideoUnavailable": ("video_unavailable", False),
    "VideoUnplayable": ("video_unplayable", False),
    "AgeRestricted": ("age_restricted", False),
    "InvalidVideoId": ("invalid_video_id", False),
    "PoTokenRequired": ("po_token_required", False),
    "FailedToCreateConsentCookie": ("consent_failed", False),
    "YouTubeDataUnparsable": ("data_unparsable", False),
    "NotTranslatable": ("not_translatable", False),
    "TranslationLanguageNotAvailable": ("translation_unavailable", False),
    "RequestBlocked": ("request_blocked", True),
    "IpBlocked": ("too_many_requests", True),
}


@pytest.mark.parametrize("name,expected", sorted(EXPECTED_CODES.items()))
def test_specific_codes(name, expected):
    klass = getattr(yta_errors, name)
    entry = fetch_errors._ERROR_TABLE[klass]
    code, _message, retryable, _hint = entry(klass.__new__(klass), SETTINGS) if callable(entry) else entry
    assert (code, retryable) == expected


def test_transport_errors_mapping():
    cases = {
        requests.exceptions.ConnectionError("x"): ("network", True),
        requests.exceptions.ReadTimeout("x"): ("timeout", True),
        requests.exceptions.ConnectTimeout("x"): ("timeout", True),
        requests.exceptions.ProxyError("x"): ("proxy_error", True),
        requests.exceptions.TooManyRedirects("x"): ("youtube_error", False),
        ForbiddenHostError("x"): ("youtube_error", False),
    }
    for exc, expected in cases.items():
        error = error_from_exception(exc, VIDEO, SETTINGS)
        assert (error.code, error.retryable) == expected, exc
    assert error_from_exception(KeyError("x"), VIDEO, SETTINGS) is None


def test_fetch_error_rejects_unknown_codes():
    with pytest.raises(ValueError):
        FetchError("made_up", "m", False)
    error = FetchError("network", "m", True, "h")
    assert (error.code, error.message, error.retryable, error.hint) == ("network", "m", True, "h")
    assert str(error) == "m"
    assert repr(error) == "FetchError('network', 'm', retryable=True)"


def test_fetch_error_survives_pickling():
    # Celery pickles the exception a task is retried on.
    error = FetchError("timeout", "slow", True, "later", video_id=VIDEO, detail="ReadTimeout: x")
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is FetchError
    assert vars(again) == vars(error) and again.args == error.args
