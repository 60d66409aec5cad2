"""The Markdown export shows what a model, a transcript or an uploader wrote as text:
nothing in it may turn into HTML, a link, emphasis or a block of its own."""

import re

import pytest
from django.urls import reverse

from videos.views.catalogue import _inline

from .helpers import make_summary

pytestmark = pytest.mark.django_db

HOSTILE = "<script>x</script> *bold*"


def _markdown(client, summary) -> str:
    return client.get(reverse("videos:summary_markdown", args=[summary.pk])).content.decode()


def _render(text: str) -> str:
    """HTML as a CommonMark renderer makes it (markdown-it-py comes with rich)."""
    markdown_it = pytest.importorskip("markdown_it")
    return markdown_it.MarkdownIt("commonmark").render(text)


@pytest.fixture
def hostile():
    return make_summary(
        title=HOSTILE,
        channel="<img src=x onerror=alert(1)>",
        intro="1. [click](javascript:alert(1)) <http://evil.example> &lt;b&gt;",
        section_titles=["Section 1: _emphasis_ and `code`"],
        bullets={(0, 0): "# not a heading", (0, 1): "> not a quote", (0, 2): "- not a list"},
        topics=["![img](x)", "~~gone~~", "C", "D", "E"],
        general=(("<b>field</b>", 0.5),),
    )


def test_a_hostile_title_comes_out_literal_and_inert(viewer_client, hostile):
    text = _markdown(viewer_client, hostile)
    assert text.startswith("# &lt;script>x&lt;/script> \\*bold\\*\n")
    assert "<script" not in text and "<img" not in text and "<b>" not in text
    html = _render(text)
    assert "<script" not in html and "<em>" not in html
    assert "<h1>&lt;script&gt;x&lt;/script&gt; *bold*</h1>" in html


def test_nothing_written_becomes_markup(viewer_client, hostile):
    html = _render(_markdown(viewer_client, hostile))
    # Only the export's own structure: headings, paragraphs, line breaks, lists, "Needs review".
    assert set(re.findall(r"<([a-z0-9]+)", html)) <= {"h1", "h2", "p", "br", "ul", "li", "strong"}
    for shown in (
        "1. [click](javascript:alert(1)) &lt;http://evil.example&gt; &amp;lt;b&amp;gt;",
        "<h2>Section 1: _emphasis_ and `code`</h2>",
        "<li># not a heading</li>", "<li>&gt; not a quote</li>", "<li>- not a list</li>",
        "<li>![img](x)</li>", "<li>~~gone~~</li>", "<li>&lt;b&gt;field&lt;/b&gt;: 0.50",
        "Channel: &lt;img src=x onerror=alert(1)&gt;",
    ):
        assert shown in html


def test_ordinary_text_reads_as_it_is(viewer_client):
    title = "Hash tables: O(1) lookups, 50% load & snake_case names in C# (part 2)"
    s = make_summary(title=title, intro="Why a < b matters.", bullets={(0, 0): "Use dict.get() - it's 2x faster"})
    text = _markdown(viewer_client, s)
    assert text.startswith(f"# {title}\n")
    assert "\nWhy a < b matters.\n" in text
    assert "\n- Use dict.get() - it's 2x faster\n" in text


@pytest.mark.parametrize(
    "raw,escaped",
    [
        (HOSTILE, "&lt;script>x&lt;/script> \\*bold\\*"),
        ("List<String> and a<b and c>d", "List&lt;String> and a&lt;b and c>d"),
        ("Tom & Jerry &amp; &#60;", "Tom & Jerry &amp;amp; &amp;#60;"),
        ("snake_case, __init__ and _em_", "snake_case, \\_\\_init\\_\\_ and \\_em\\_"),
        ("1. first", "1\\. first"),
        ("2) second", "2\\) second"),
        ("+ plus", "\\+ plus"),
        ("===", "\\==="),
        ("Intro to C #", "Intro to C \\#"),
        ("a\\b", "a\\\\b"),
        ("two\n# lines", "two # lines"),
    ],
)
def test_inline_escapes_only_what_would_be_markup(raw, escaped):
    assert _inline(raw) == escaped
