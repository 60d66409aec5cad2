import codecs
import json

import pytest

from videos.ingest.subtitle_formats import clean_cue_text
from videos.ingest.subtitles import (
    ACCEPTED_EXTENSIONS,
    SubtitleError,
    decode_text,
    parse_subtitle_file,
)
from videos.ingest.types import Segment


def parse_file(files_dir, name, **kwargs):
    return parse_subtitle_file(name, (files_dir / name).read_bytes(), **kwargs)


def error_for(name, data, **kwargs) -> str:
    with pytest.raises(SubtitleError) as info:
        parse_subtitle_file(name, data, **kwargs)
    return str(info.value)


# --------------------------------------------------------------------------
# good files


def test_srt_with_markup(files_dir):
    result = parse_file(files_dir, "good.srt")
    assert result.format == "srt" and result.encoding == "utf-8" and result.timed
    assert result.segments == [
        Segment(1.0, 2.5, "Hello and welcome to the lecture."),
        Segment(3.5, 3.75, "Today: hash tables & trees."),
        Segment(62.0, 2.0, "Questions?"),
    ]
    assert result.full_text == "Hello and welcome to the lecture. Today: hash tables & trees. Questions?"
    assert not result.collapsed_rolling


def test_srt_windows_line_endings(files_dir):
    result = parse_file(files_dir, "crlf.srt")
    assert [s.text for s in result.segments] == ["Windows line endings", "work too"]
    assert result.segments[0] == Segment(0.5, 1.5, "Windows line endings")


def test_srt_with_bom_and_uppercase_extension():
    data = codecs.BOM_UTF8 + b"1\n00:00:01,000 --> 00:00:02,000\nhi\n"
    result = parse_subtitle_file("C:\\Users\\me\\Talk.SRT", data)
    assert result.format == "srt" and result.encoding == "utf-8"
    assert result.segments == [Segment(1.0, 1.0, "hi")]


def test_windows_1252_srt(files_dir):
    result = parse_file(files_dir, "cp1252.srt")
    assert result.encoding == "cp1252"
    assert result.segments[0].text == "Le café est très chaud, déjà prêt à boire."
    assert result.segments[1].text == "Ça coûte 5 € — c’est « génial » !"


def test_koi8r_russian_srt_is_not_read_as_shift_jis(files_dir):
    # charset-normalizer alone ranks Shift-JIS first for these bytes (half-width katakana).
    result = parse_file(files_dir, "koi8r.srt")
    assert result.encoding == "koi8_r"
    assert [s.text for s in result.segments] == ["Функция main() возвращает 0.", 'Вызов printf("%d", x) печатает число.']


def test_encoding_too_close_to_call_is_refused():
    srt = "1\n00:00:01,000 --> 00:00:02,000\nПривет всем.\n\n2\n00:00:02,000 --> 00:00:03,000\nНачнём лекцию.\n"
    message = error_for("short.srt", srt.encode("koi8-r"))
    assert message.startswith("short.srt: the text encoding is not clear (it reads as ")
    assert "koi8_r" in message and message.endswith("; save it as UTF-8 and upload it again")


def test_vtt_with_notes_styles_voices_and_entities(files_dir):
    result = parse_file(files_dir, "good.vtt")
    assert result.format == "vtt"
    assert result.segments == [
        Segment(0.0, 2.0, "Is it done?"),
        Segment(2.0, 1.0, "No."),
        Segment(3.0, 1.0, "No."),  # a genuine repeat is kept (not a rolling caption file)
        Segment(60.5, 1.5, "Tom & Jerry <3"),
    ]
    assert not result.collapsed_rolling


def test_youtube_auto_vtt_rolling_duplicates_are_collapsed(files_dir):
    result = parse_file(files_dir, "youtube_auto.vtt")
    assert result.collapsed_rolling
    assert result.segments == [
        Segment(0.0, 2.33, "hello everyone and welcome"),
        Segment(2.34, 2.66, "to the algorithms course"),
        Segment(5.01, 2.99, "today we sort"),
    ]
    assert result.full_text == "hello everyone and welcome to the algorithms course today we sort"


def test_rolling_srt_without_word_timings_is_collapsed():
    srt = "\n".join([
        "1", "00:00:00,000 --> 00:00:02,000", "one two", "",
        "2", "00:00:02,000 --> 00:00:04,000", "one two", "three four", "",
        "3", "00:00:04,000 --> 00:00:06,000", "three four", "five six", "",
        "4", "00:00:06,000 --> 00:00:08,000", "five six", "seven", "",
    ])
    result = parse_subtitle_file("rolling.srt", srt.encode())
    assert result.collapsed_rolling
    assert [s.text for s in result.segments] == ["one two", "three four", "five six", "seven"]


def test_utf16_vtt_with_bom(files_dir):
    result = parse_file(files_dir, "utf16.vtt")
    assert result.encoding == "utf-16-le"
    assert [s.text for s in result.segments] == ["Grüße aus München", "日本語の字幕"]


def test_utf16_be_and_without_bom():
    text = "WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nhello there\n"
    result = parse_subtitle_file("a.vtt", codecs.BOM_UTF16_BE + text.encode("utf-16-be"))
    assert result.encoding == "utf-16-be" and result.segments[0].text == "hello there"
    result = parse_subtitle_file("a.vtt", text.encode("utf-16-le"))  # no BOM
    assert result.encoding == "utf-16-le" and result.segments[0].text == "hello there"


def test_txt_is_untimed_one_segment_per_line(files_dir):
    result = parse_file(files_dir, "notes.txt")
    assert result.format == "txt" and not result.timed
    assert result.segments == [
        Segment(0.0, 0.0, "First line of the talk."),
        Segment(0.0, 0.0, "Second line, with tabs."),
        Segment(0.0, 0.0, "Third line."),
    ]
    assert result.full_text == "First line of the talk. Second line, with tabs. Third line."


def test_json_list_as_youtube_transcript_api_writes_it(files_dir):
    result = parse_file(files_dir, "transcript.json")
    assert result.format == "json" and result.timed
    assert result.segments == [
        Segment(0.0, 1.54, "Hey, this is just a test"),
        Segment(1.54, 4.16, "this is not the original transcript"),
        Segment(5.7, 3.239, "just something shorter"),
    ]


def test_json_snippets_object(files_dir):
    result = parse_file(files_dir, "snippets.json")
    assert result.segments == [Segment(0.0, 1.5, "first"), Segment(1.5, 2.0, "second")]


def test_json_formatter_output_of_the_library():
    from youtube_transcript_api import FetchedTranscript, FetchedTranscriptSnippet
    from youtube_transcript_api.formatters import JSONFormatter

    transcript = FetchedTranscript(
        snippets=[FetchedTranscriptSnippet("a b", 0.0, 1.0), FetchedTranscriptSnippet("c", 1.0, 2.5)],
        video_id="GJLlxj_dtq8", language="English", language_code="en", is_generated=False,
    )
    single = JSONFormatter().format_transcript(transcript, indent=2).encode()
    assert [s.to_dict() for s in parse_subtitle_file("t.json", single).segments] == [
        {"start": 0.0, "duration": 1.0, "text": "a b"},
        {"start": 1.0, "duration": 2.5, "text": "c"},
    ]
    several = JSONFormatter().format_transcripts([transcript]).encode()
    assert len(parse_subtitle_file("t.json", several).segments) == 2
    assert "2 transcripts" in error_for("t.json", JSONFormatter().format_transcripts([transcript, transcript]).encode())


def test_json_duration_is_optional():
    result = parse_subtitle_file("t.json", b'[{"text": "x", "start": 3}]')
    assert result.segments == [Segment(3.0, 0.0, "x")]


def test_clean_cue_text():
    assert clean_cue_text("{\\an8}<i>a</i> <c.colorE5E5E5>b</c><00:00:01.200> c") == "a b c"
    assert clean_cue_text("x < y and y > z") == "x < y and y > z"
    assert clean_cue_text("&lt;b&gt; &amp;") == "<b> &"


@pytest.mark.parametrize(
    "text",
    ["List<String> names", "#include <stdio.h>", "if a<b and c>d", "Vec<u8> and Map<K, V>", "a <3> b", "<div>html</div>"],
)
def test_clean_cue_text_keeps_code_in_angle_brackets(text):
    assert clean_cue_text(text) == text


@pytest.mark.parametrize(
    "text,expected",
    [
        ("<b>bold</b> <i>it</i> <u>under</u>", "bold it under"),
        ("<c>plain</c> <c.yellow.bg_blue>classes</c> <b.loud>loud</b>", "plain classes loud"),
        ("<v Alice>Is it <v.first.loud Esme>done</v>?", "Is it done?"),
        ("<lang en-GB>colour</lang> <ruby>漢<rt>kan</rt></ruby>", "colour 漢kan"),
        ("one<00:00:01.200> two<01:02.500> three", "one two three"),
        ('<font color="#ffff00">SRT</font> <FONT COLOR=red>shout</FONT>', "SRT shout"),
        ("&lt;b&gt;literal&lt;/b&gt; &amp;lt;", "<b>literal</b> &lt;"),  # entities decoded after stripping
    ],
)
def test_clean_cue_text_strips_only_subtitle_markup(text, expected):
    assert clean_cue_text(text) == expected


def test_srt_cue_with_code_keeps_it():
    srt = "1\n00:00:01,000 --> 00:00:02,000\n<i>List<String> names;</i>\n#include <stdio.h>\n"
    assert parse_subtitle_file("code.srt", srt.encode()).full_text == "List<String> names; #include <stdio.h>"


def test_sbv_as_youtube_studio_exports_it(files_dir):
    result = parse_file(files_dir, "youtube_studio.sbv")
    assert result.format == "sbv" and result.encoding == "utf-8" and result.timed
    assert result.segments == [
        Segment(1.0, 3.0, "Hello and welcome to the lecture."),
        Segment(4.5, 2.75, "Today: List<String> and & friends, over two lines."),
        Segment(62.0, 3538.0, "Questions?"),
    ]


def test_sbv_with_windows_line_endings_and_empty_cue():
    data = b"0:00:00.500,0:00:01.000\r\n\r\n0:00:01.000,0:00:02.000\r\nhi\r\n"
    assert parse_subtitle_file("a.sbv", data).segments == [Segment(1.0, 1.0, "hi")]


@pytest.mark.parametrize(
    "data,message",
    [
        (b"0:00:01.000,0:00:02.000\nok\n\n0:00:03,000,0:00:04.000\nbad\n",
         "a.sbv: line 4: expected a timing line like '0:00:01.000,0:00:04.000', found '0:00:03,000,0:00:04.000'"),
        (b"0:00:01.000,0:00:02.000\nok\n\nno timing here\n",
         "a.sbv: line 4: expected a timing line like '0:00:01.000,0:00:04.000', found 'no timing here'"),
        (b"0:00:05.000,0:00:02.000\nhi\n", "a.sbv: line 1: the cue ends (0:00:02.000) before it starts (0:00:05.000)"),
        (b"0:00:01.000,0:00:02.000\n<i></i>\n", "a.sbv: the subtitles contain no text"),
    ],
)
def test_sbv_problems_name_the_line(data, message):
    assert error_for("a.sbv", data) == message


# --------------------------------------------------------------------------
# broken files


def test_bad_srt_timestamp_names_line(files_dir):
    message = error_for("bad_timestamp.srt", (files_dir / "bad_timestamp.srt").read_bytes())
    assert message.startswith("bad_timestamp.srt: line 7: timestamp '00:00:0x,000' is not valid")


def test_srt_bad_end_timestamp():
    data = b"1\n00:00:01,000 --> 00:00:02\nhi\n"
    assert error_for("s.srt", data).startswith("s.srt: line 2: timestamp '00:00:02' is not valid")


def test_srt_end_before_start():
    data = b"1\n00:00:05,000 --> 00:00:02,000\nhi\n"
    assert "line 2: the cue ends (00:00:02,000) before it starts (00:00:05,000)" in error_for("s.srt", data)


def test_srt_block_without_timing_line():
    data = b"1\n00:00:01,000 --> 00:00:02,000\nhi\n\n2\n00:00:02,000 -> 00:00:03,000\nthere\n"
    message = error_for("s.srt", data)
    assert message.startswith("s.srt: line 5: expected a cue number and a timing line")
    assert "'2'" in message


def test_srt_without_cues():
    message = error_for("s.srt", b"just some text\n")
    assert message.startswith("s.srt: line 1: expected a cue number and a timing line")
    assert "contain no text" in error_for("s.srt", b"1\n00:00:01,000 --> 00:00:02,000\n<i></i>\n")


def test_vtt_without_header(files_dir):
    message = error_for("no_header.vtt", (files_dir / "no_header.vtt").read_bytes())
    assert message == "no_header.vtt: not a WebVTT file: the first line must be 'WEBVTT'"


def test_vtt_bad_timestamp_names_line():
    data = b"WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nok\n\n00:00:01,000 --> 00:00:02.000\nsrt style comma\n"
    message = error_for("x.vtt", data)
    assert message.startswith("x.vtt: line 6: timestamp '00:00:01,000' is not valid")


def test_vtt_cue_without_timing_line_is_refused():
    data = b"WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nok\n\nlost text\nmore\n\n00:00:02.000 --> 00:00:03.000\nfine\n"
    assert error_for("x.vtt", data) == (
        "x.vtt: line 6: expected a timing line like '00:00:01.000 --> 00:00:04.000' before the cue text, found 'lost text'"
    )
    typo = b"WEBVTT\n\n1\n00:00:00.000 --> 00:00:01.000\nok\n\n2\n00:00:01.000 -> 00:00:02.000\nthere\n"
    assert error_for("x.vtt", typo).startswith("x.vtt: line 7: expected a timing line")
    # Two lines of text and then a timing line: webvtt-py starts a new cue at the timing line.
    glued = b"WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nok\n\norphan one\norphan two\n00:00:01.000 --> 00:00:02.000\nx\n"
    assert error_for("x.vtt", glued).startswith("x.vtt: line 6: expected a timing line")


def test_vtt_header_metadata_notes_styles_and_identifiers_are_not_cues():
    data = (
        b"WEBVTT\nKind: captions\nLanguage: en\n\nNOTE a\ncomment\n\nSTYLE\n::cue { color: red }\n\n"
        b"REGION\nid:r1\n\ncue-1\n00:00:00.000 --> 00:00:01.000\nhello\n\n  \n"
    )
    assert [s.text for s in parse_subtitle_file("x.vtt", data).segments] == ["hello"]


def test_vtt_without_cues():
    assert "no subtitles found" in error_for("x.vtt", b"WEBVTT\n\nNOTE nothing here\n")


@pytest.mark.parametrize(
    "data,needle",
    [
        (b'{"text": "x"', "not valid JSON"),
        (b'"hello"', "got a string"),
        (b"[]", "list is empty"),
        (b'{"foo": 1, "bar": 2}', "got an object with 'foo', 'bar'"),
        (b'{"snippets": {"text": "x"}}', "'snippets' must be a list, not an object"),
        (b'[{"text": "a", "start": 0}, 5]', "item 2 is a number"),
        (b'[{"start": 0, "duration": 1}]', "item 1 has no 'text'"),
        (b'[{"text": "a", "duration": 1}]', "item 1 has no 'start'"),
        (b'[{"text": 3, "start": 0}]', "item 1: 'text' must be a string"),
        (b'[{"text": "a", "start": "0:01"}]', "item 1: 'start' must be a number of seconds, not a string"),
        (b'[{"text": "a", "start": -1}]', "item 1: 'start' must be a number of seconds of 0 or more"),
        (b'[{"text": "a", "start": 0, "duration": true}]', "'duration' must be a number of seconds, not a boolean"),
        (b'{"snippets": [{"text": "a", "start": 0}, {"text": "b"}]}', "'snippets' item 2 has no 'start'"),
        (b'[{"text": "  ", "start": 0}]', "contain no text"),
    ],
)
def test_json_wrong_shapes(data, needle):
    message = error_for("t.json", data)
    assert message.startswith("t.json: ")
    assert needle in message


def test_deeply_nested_json_is_not_a_transcript():
    data = b'{"snippets": ' + b"[" * 3000 + b"]" * 3000 + b"}"
    assert error_for("t.json", data) == "t.json: not a transcript file: its JSON is nested far too deeply"
    assert "item 1 is a list" in error_for("t.json", b"[" * 50 + b"]" * 50)  # shallow enough to read


def test_empty_file():
    assert error_for("a.srt", b"") == "a.srt: the file is empty"
    assert "only blank space" in error_for("a.txt", b"  \n\n ")


def test_too_large_names_cap_and_size():
    message = error_for("big.srt", b"x" * (3 * 1024 * 1024 + 100_000))
    assert message == "big.srt: the file is too large (3.1 MiB); the limit is 2 MiB"
    message = error_for("big.txt", b"hello world", max_bytes=10)
    assert message == "big.txt: the file is too large (11 bytes); the limit is 10 bytes"
    assert parse_subtitle_file("ok.txt", b"hello", max_bytes=5).full_text == "hello"


def test_unknown_extension_lists_accepted_ones():
    message = error_for("movie.ass", b"[Script Info]")
    assert message == "movie.ass: '.ass' files are not accepted; upload one of: .srt, .vtt, .sbv, .txt, .json"
    assert "without an extension" in error_for("README", b"x")
    assert ACCEPTED_EXTENSIONS == (".srt", ".vtt", ".sbv", ".txt", ".json")


def test_binary_data_is_refused():
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00\x00\x00\x01\x00\x08\x06\x00\x00\x00" + bytes(range(256)) * 4
    message = error_for("x.txt", png)
    assert message.startswith("x.txt: ") and ("binary" in message or "encoding" in message)


def test_broken_bom_file_is_refused():
    message = error_for("x.srt", codecs.BOM_UTF16_LE + b"\x00\xd8\x00")  # lone surrogate, odd length
    assert "UTF-16-LE" in message


def test_decode_text_order():
    assert decode_text("é".encode("utf-8")) == ("é", "utf-8")
    assert decode_text(codecs.BOM_UTF8 + b"x") == ("x", "utf-8")
    assert decode_text(codecs.BOM_UTF32_LE + "x".encode("utf-32-le")) == ("x", "utf-32-le")


def test_result_serialises():
    result = parse_subtitle_file("t.json", json.dumps([{"text": "a", "start": 1, "duration": 2}]).encode())
    assert [s.to_dict() for s in result.segments] == [{"start": 1.0, "duration": 2.0, "text": "a"}]
