"""Property-based tests of the URL parser: whatever it accepts is a real id,
and it never raises anything but InvalidVideoURL."""

import re
import string

from hypothesis import example, given, settings
from hypothesis import strategies as st

from videos.ingest.urls import InvalidVideoURL, canonical_url, parse_lines, parse_video_id

ID_RE = re.compile(r"^[A-Za-z0-9_-]{11}$")
ID_CHARS = string.ascii_letters + string.digits + "-_"
ids = st.text(alphabet=ID_CHARS, min_size=11, max_size=11).filter(lambda s: s != "videoseries")

hosts = st.sampled_from(["www.youtube.com", "youtube.com", "m.youtube.com", "music.youtube.com"])
schemes = st.sampled_from(["https://", "http://", ""])
extras = st.lists(
    st.sampled_from(["t=42s", "t=1h2m3s", "si=AbCdEf", "feature=share", "list=PL0123", "index=3", "pp=ygU"]), max_size=3
)


@st.composite
def youtube_urls(draw):
    video_id = draw(ids)
    scheme = draw(schemes)
    kind = draw(st.sampled_from(["watch", "short", "shorts", "embed", "live"]))
    query = draw(extras)
    if kind == "watch":
        params = [f"v={video_id}", *query]
        draw(st.randoms()).shuffle(params)
        url = f"{scheme}{draw(hosts)}/watch?{'&'.join(params)}"
    elif kind == "short":
        url = f"{scheme}youtu.be/{video_id}" + (f"?{'&'.join(query)}" if query else "")
    else:
        url = f"{scheme}{draw(hosts)}/{kind}/{video_id}" + (f"?{'&'.join(query)}" if query else "")
    pad = draw(st.sampled_from(["", " ", "\t", "  \n"]))
    return video_id, f"{pad}{url}{pad}"


@settings(max_examples=400, deadline=None)
@given(youtube_urls())
def test_every_accepted_form_yields_its_id(case):
    video_id, url = case
    assert parse_video_id(url) == video_id


@settings(max_examples=600, deadline=None)
@given(st.text(max_size=200))
@example("https://www.youtube.com/watch?v=kxT8-C1 vmd4")
@example("https://youtube.com@evil.com/watch?v=UiX8K-xBUpE")
@example("https://youtube.com.evil.net/watch?v=UiX8K-xBUpE")
@example("\x00\ud800")
@example("https://[::1/watch?v=UiX8K-xBUpE")
@example("http://www.youtube.com:99999/watch?v=UiX8K-xBUpE")
def test_any_text_gives_a_valid_id_or_a_validation_error(text):
    try:
        video_id = parse_video_id(text)
    except InvalidVideoURL as exc:
        assert str(exc)
    else:
        assert ID_RE.match(video_id)
        assert parse_video_id(canonical_url(video_id)) == video_id


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"\A(https?://)?[a-z0-9.-]{1,30}\.[a-z]{2,6}/watch\?v=[A-Za-z0-9_-]{11}\Z"))
def test_other_hosts_are_refused(url):
    host = re.sub(r"^https?://", "", url).split("/")[0]
    try:
        parse_video_id(url)
    except InvalidVideoURL:
        return
    assert host in {"youtube.com", "www.youtube.com", "m.youtube.com", "music.youtube.com"}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(youtube_urls().map(lambda c: c[1]), st.text(max_size=60)), max_size=25))
def test_parse_lines_gives_every_nonblank_line_one_outcome(lines):
    text = "\n".join(line.replace("\n", " ").replace("\r", " ") for line in lines)
    report = parse_lines(text)
    seen = [p.line for p in report.ok] + [e.line for e in report.errors] + [d.line for d in report.duplicates]
    assert len(seen) == len(set(seen))
    for p in report.ok:
        assert ID_RE.match(p.video_id)
