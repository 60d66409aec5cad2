import pytest

from videos.ingest.urls import (
    InvalidVideoURL,
    canonical_url,
    is_valid_video_id,
    parse_lines,
    parse_video_id,
    thumbnail_url,
    watch_url,
)

VID = "dQw4w9WgXcQ"

ACCEPTED = [
    # watch URLs on every accepted host, with and without scheme
    (f"https://www.youtube.com/watch?v={VID}", VID),
    (f"http://www.youtube.com/watch?v={VID}", VID),
    (f"https://youtube.com/watch?v={VID}", VID),
    (f"https://m.youtube.com/watch?v={VID}", VID),
    (f"https://music.youtube.com/watch?v={VID}&feature=share", VID),
    (f"www.youtube.com/watch?v={VID}", VID),
    (f"youtube.com/watch?v={VID}", VID),
    (f"//www.youtube.com/watch?v={VID}", VID),
    (f"HTTPS://WWW.YOUTUBE.COM/watch?v={VID}", VID),
    (f"https://www.youtube.com:443/watch?v={VID}", VID),
    # extra params, timestamps, share tokens, fragments
    (f"https://www.youtube.com/watch?v={VID}&t=42s", VID),
    (f"https://www.youtube.com/watch?feature=youtu.be&v={VID}&list=PL123&index=2", VID),
    (f"https://www.youtube.com/watch?v={VID}#t=1m2s", VID),
    (f"https://youtu.be/{VID}", VID),
    (f"https://youtu.be/{VID}?si=AbCdEfGhIjKlMnOp", VID),
    (f"https://youtu.be/{VID}?t=42", VID),
    (f"youtu.be/{VID}/", VID),
    # path forms
    (f"https://www.youtube.com/shorts/{VID}", VID),
    (f"https://youtube.com/shorts/{VID}?feature=share", VID),
    (f"https://www.youtube.com/embed/{VID}?start=10", VID),
    (f"https://www.youtube.com/live/{VID}?si=xyz", VID),
    (f"https://www.youtube.com/v/{VID}", VID),
    (f"https://www.youtube.com/v/{VID}&hl=en_US&fs=1", VID),
    (f"https://www.youtube-nocookie.com/embed/{VID}", VID),
    (f"https://youtube-nocookie.com/embed/{VID}?rel=0", VID),
    # bare ids with - and _ and surrounding whitespace
    (VID, VID),
    ("  5C_HPTJg5ek \n", "5C_HPTJg5ek"),
    ("-_-_-_-_-_-", "-_-_-_-_-_-"),
    (f"\t https://www.youtube.com/watch?v={VID}  ", VID),
    # the seed's stray space inside the id
    ("https://www.youtube.com/watch?v=kxT8-C1 vmd4", "kxT8-C1vmd4"),
    ("https://youtu.be/kxT8-C1%20vmd4", "kxT8-C1vmd4"),
]


@pytest.mark.parametrize("text,expected", ACCEPTED)
def test_accepted_forms(text, expected):
    assert parse_video_id(text) == expected


REFUSED = [
    "",
    "   ",
    "foo",
    "dQw4w9WgXc",  # 10 chars
    "dQw4w9WgXcQQ",  # 12 chars
    "dQw4w9WgXc!",  # bad char
    "kxT8-C1 vmd4",  # bare text with a space is not an id
    f"https://www.youtube.com/watch?v={VID}Q",
    f"https://www.youtube.com/watch?v={VID[:10]}",
    "https://www.youtube.com/watch?v=",
    "https://www.youtube.com/watch",
    f"https://www.youtube.com/watch?v={VID} extra words",
    # non-YouTube and lookalike hosts
    f"https://vimeo.com/watch?v={VID}",
    f"https://youtube.com.evil.net/watch?v={VID}",
    f"https://notyoutube.com/watch?v={VID}",
    f"https://www.youtube.co/watch?v={VID}",
    f"https://evilyoutu.be/{VID}",
    f"https://youtu.be.evil.net/{VID}",
    f"https://youtube.com@evil.com/watch?v={VID}",
    f"https://user:pass@www.youtube.com/watch?v={VID}",
    f"https://evil.com/?u=https://www.youtube.com/watch?v={VID}",
    f"https://evil.com/{VID}",
    f"ftp://www.youtube.com/watch?v={VID}",
    f"javascript:alert('{VID}')",
    f"https://www.youtube.com:8080/watch?v={VID}",
    # nocookie only serves embeds
    f"https://www.youtube-nocookie.com/watch?v={VID}",
    # playlists, channels and other pages
    "https://www.youtube.com/playlist?list=PLBCF2DAC6FFB574DE",
    "https://www.youtube.com/watch?list=PLBCF2DAC6FFB574DE",
    "https://www.youtube.com/embed/videoseries?list=PLBCF2DAC6FFB574DE",
    "https://www.youtube.com/channel/UC_x5XG1OV2P6uZZ5FSM9Ttw",
    "https://www.youtube.com/@GoogleDevelopers",
    "https://www.youtube.com/c/GoogleDevelopers",
    "https://www.youtube.com/user/GoogleDevelopers",
    "https://www.youtube.com/",
    "https://youtu.be/",
    f"https://youtu.be/{VID}/extra",
    f"https://www.youtube.com/shorts/{VID}/more",
    f"https://www.youtube.com/results?search_query={VID}",
]


@pytest.mark.parametrize("text", REFUSED)
def test_refused_inputs(text):
    with pytest.raises(InvalidVideoURL):
        parse_video_id(text)


def test_refused_non_string():
    with pytest.raises(InvalidVideoURL):
        parse_video_id(None)  # type: ignore[arg-type]


def test_error_messages_are_specific():
    with pytest.raises(InvalidVideoURL, match=r"^'foo' is not a YouTube video URL or id$"):
        parse_video_id("foo")
    with pytest.raises(InvalidVideoURL, match="playlist"):
        parse_video_id("https://www.youtube.com/playlist?list=PL1")
    with pytest.raises(InvalidVideoURL, match="channel"):
        parse_video_id("https://www.youtube.com/@somebody")
    with pytest.raises(InvalidVideoURL, match="'evil.net'"):
        parse_video_id(f"https://evil.net/watch?v={VID}")
    with pytest.raises(InvalidVideoURL, match="empty"):
        parse_video_id("  ")


def test_long_input_is_shortened_in_message():
    with pytest.raises(InvalidVideoURL) as info:
        parse_video_id("x" * 500)
    assert len(str(info.value)) < 150


def test_canonical_and_thumbnail_urls():
    assert canonical_url(VID) == f"https://www.youtube.com/watch?v={VID}"
    assert canonical_url(VID) == watch_url(VID)
    assert thumbnail_url(VID) == f"https://i.ytimg.com/vi/{VID}/mqdefault.jpg"
    assert parse_video_id(canonical_url(VID)) == VID
    with pytest.raises(InvalidVideoURL):
        canonical_url("not an id")
    with pytest.raises(InvalidVideoURL):
        thumbnail_url("https://youtu.be/" + VID)
    assert is_valid_video_id(VID)
    assert not is_valid_video_id(VID + "x")
    assert not is_valid_video_id(None)


@pytest.mark.parametrize(
    "start,suffix",
    [
        (None, ""),
        (0, "&t=0s"),
        (123, "&t=123s"),
        (123.9, "&t=123s"),  # whole seconds: YouTube ignores fractions
        (3600.0, "&t=3600s"),
    ],
)
def test_watch_url(start, suffix):
    url = watch_url(VID, start)
    assert url == f"https://www.youtube.com/watch?v={VID}{suffix}"
    assert parse_video_id(url) == VID  # what we build, we read back


@pytest.mark.parametrize("start", [-1, float("nan"), float("inf"), "12", True])
def test_watch_url_refuses_bad_start(start):
    with pytest.raises(ValueError):
        watch_url(VID, start)


@pytest.mark.parametrize("bad", ["not an id", f"https://youtu.be/{VID}", "", None, VID + "x"])
def test_built_urls_refuse_what_is_not_an_id(bad):
    for build in (watch_url, thumbnail_url):
        with pytest.raises(InvalidVideoURL):
            build(bad)
    with pytest.raises(InvalidVideoURL):
        watch_url(bad, 10)


def test_seed_urls():
    seed = {
        "https://www.youtube.com/watch?v=UiX8K-xBUpE": "UiX8K-xBUpE",
        "https://www.youtube.com/watch?v=kxT8-C1 vmd4": "kxT8-C1vmd4",
        "https://www.youtube.com/watch?v=5C_HPTJg5ek": "5C_HPTJg5ek",
        "https://www.youtube.com/watch?v=HyWYpM_S-2c": "HyWYpM_S-2c",
    }
    for url, expected in seed.items():
        assert parse_video_id(url) == expected


def test_parse_lines_reports_ok_errors_and_duplicates():
    paste = "\n".join(
        [
            "# my list",  # 1 comment
            f"https://www.youtube.com/watch?v={VID}",  # 2 ok
            "foo",  # 3 error
            "",  # 4 blank
            f"https://youtu.be/{VID}?t=3",  # 5 duplicate of line 2
            "   ",  # 6 blank
            "https://www.youtube.com/watch?v=kxT8-C1 vmd4",  # 7 ok
            "https://evil.com/watch?v=kxT8-C1vmd4",  # 8 error
            "kxT8-C1vmd4",  # 9 duplicate of line 7
            "  # indented comment",  # 10 comment
        ]
    )
    report = parse_lines(paste)
    assert [(e.line, e.input, e.video_id) for e in report.ok] == [
        (2, f"https://www.youtube.com/watch?v={VID}", VID),
        (7, "https://www.youtube.com/watch?v=kxT8-C1 vmd4", "kxT8-C1vmd4"),
    ]
    assert [(e.line, e.input) for e in report.errors] == [
        (3, "foo"),
        (8, "https://evil.com/watch?v=kxT8-C1vmd4"),
    ]
    assert report.errors[0].message == "line 3: 'foo' is not a YouTube video URL or id"
    assert report.errors[1].message.startswith("line 8: ")
    assert [(d.line, d.input, d.video_id, d.first_line) for d in report.duplicates] == [
        (5, f"https://youtu.be/{VID}?t=3", VID, 2),
        (9, "kxT8-C1vmd4", "kxT8-C1vmd4", 7),
    ]


def test_parse_lines_windows_newlines_and_empty():
    report = parse_lines(f"{VID}\r\n\r\nfoo\r\n")
    assert [p.video_id for p in report.ok] == [VID]
    assert [e.line for e in report.errors] == [3]
    empty = parse_lines("")
    assert empty.ok == [] and empty.errors == [] and empty.duplicates == []
