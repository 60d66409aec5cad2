"""Parse uploaded subtitle files into :class:`~videos.ingest.types.Segment` lists.

Accepted: ``.srt`` (pysrt), ``.vtt`` (webvtt-py), ``.sbv`` (SubViewer, what
YouTube Studio exports), ``.txt`` (one untimed segment per non-empty line) and
``.json`` (what youtube-transcript-api produces: a list of ``{"text", "start",
"duration"}`` objects, its ``JSONFormatter`` output, or an object with a
``"snippets"`` / ``"segments"`` list).

:func:`parse_subtitle_file` enforces a size cap, detects the encoding (BOM,
UTF-8, UTF-16 without BOM, then charset-normalizer's best decode, refused when
two read differently and are as plausible) and hands the text to the
format's parser in :mod:`videos.ingest.subtitle_formats`, which strips markup
and collapses the rolling duplicate lines of YouTube auto-caption files. Any
problem raises :class:`SubtitleError` with a user-facing message.
"""

from __future__ import annotations

import codecs
import re

import charset_normalizer
from charset_normalizer.constant import IANA_SUPPORTED
from charset_normalizer.utils import is_multi_byte_encoding

from .subtitle_formats import PARSERS, ParsedSubtitles, SubtitleError

__all__ = [
    "ACCEPTED_EXTENSIONS",
    "DEFAULT_MAX_BYTES",
    "ParsedSubtitles",
    "SubtitleError",
    "decode_text",
    "parse_subtitle_file",
]

ACCEPTED_EXTENSIONS = tuple(PARSERS)  # (".srt", ".vtt", ".sbv", ".txt", ".json")
DEFAULT_MAX_BYTES = 2 * 1024 * 1024


# --------------------------------------------------------------------------
# helpers


def _display_name(name: str) -> str:
    base = re.split(r"[\\/]", name or "")[-1].strip()
    return base or "the file"


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} bytes"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KiB".replace(".0 KiB", " KiB")
    return f"{n / (1024 * 1024):.1f} MiB".replace(".0 MiB", " MiB")


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def _guess_utf16(data: bytes) -> str | None:
    """UTF-16 without BOM: mostly-ASCII text has a NUL in every other byte."""
    if len(data) < 4 or len(data) % 2:
        return None
    pairs = len(data) // 2
    odd_nuls = data[1::2].count(0)
    even_nuls = data[0::2].count(0)
    if odd_nuls > pairs * 0.3 and even_nuls == 0:
        return "utf-16-le"
    if even_nuls > pairs * 0.3 and odd_nuls == 0:
        return "utf-16-be"
    return None


def _looks_like_text(text: str) -> bool:
    if not text:
        return True
    return len(_CONTROL.findall(text)) <= max(1, len(text) // 1000)


_SINGLE_BYTE = [name for name in IANA_SUPPORTED if not is_multi_byte_encoding(name)]


def _likelihood(match) -> tuple[float, float]:
    """How charset-normalizer rates a decode, lower is likelier: its mess, then its
    language coherence (rounded: the figures carry noise past two decimals)."""
    return round(match.chaos, 2), -round(match.coherence, 2)


def _prefer_cp1252(matches, best):
    """charset-normalizer often ranks cp1257/cp1250 first for Western European text;
    prefer Windows-1252 when it is listed as just as plausible (it is by far the most
    common legacy subtitle encoding)."""
    for match in matches:
        if match.encoding == "cp1252" and match.coherence >= best.coherence and match.chaos <= best.chaos + 0.1:
            return match
    return best


def _second_look_at_cjk(data: bytes, best, name: str):
    """charset-normalizer stops trying single-byte code pages once a CJK decoder reads the
    bytes without an error, and prefers the multi-byte decode on a tie; but KOI8-R Russian
    reads cleanly as Shift-JIS (half-width katakana). So rate the best single-byte decode
    against it, on the lines with non-ASCII bytes only (cue numbers and timings read alike
    in every encoding and would dilute the figures): the likelier wins, a tie is refused."""
    payload = b"\n".join(line for line in data.splitlines() if not line.isascii())
    single = charset_normalizer.from_bytes(payload, cp_isolation=_SINGLE_BYTE).best()
    if single is None:
        return best
    cjk = charset_normalizer.from_bytes(payload, cp_isolation=[best.encoding]).best() or best
    if _likelihood(single) < _likelihood(cjk):
        return single
    if _likelihood(single) == _likelihood(cjk) and str(single) != str(cjk):
        raise SubtitleError(
            f"{name}: the text encoding is not clear (it reads as {single.encoding} and as "
            f"{cjk.encoding}); save it as UTF-8 and upload it again"
        )
    return best


def decode_text(data: bytes, name: str = "the file") -> tuple[str, str]:
    """Decode ``data`` and return ``(text, encoding)``; raise SubtitleError if impossible."""
    name = _display_name(name)
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(encoding), encoding
            except UnicodeDecodeError as exc:
                raise SubtitleError(
                    f"{name}: starts with a {encoding.upper()} byte order mark "
                    f"but is not valid {encoding.upper()} text (byte {exc.start + len(bom)})"
                ) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if _looks_like_text(text):
            return text, "utf-8"
        # NUL bytes are valid UTF-8: could still be UTF-16 without a BOM

    guessed = _guess_utf16(data)
    if guessed:
        try:
            text = data.decode(guessed)
        except UnicodeDecodeError:
            pass
        else:
            if _looks_like_text(text):
                return text, guessed

    matches = charset_normalizer.from_bytes(data)
    best = matches.best()
    if best is not None:
        if is_multi_byte_encoding(best.encoding):
            chosen = _second_look_at_cjk(data, best, name)
        else:
            chosen = _prefer_cp1252(matches, best)
        try:
            text = data.decode(chosen.encoding)
        except UnicodeDecodeError:
            pass
        else:
            if _looks_like_text(text):
                return text, chosen.encoding
    raise SubtitleError(
        f"{name}: the text encoding could not be recognised (it may be a binary file); "
        "save it as UTF-8 and upload it again"
    )


def parse_subtitle_file(name: str, data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ParsedSubtitles:
    """Parse an uploaded subtitle file; the format comes from the extension of ``name``."""
    shown = _display_name(name)
    extension = ("." + shown.rsplit(".", 1)[-1].lower()) if "." in shown else ""
    parser = PARSERS.get(extension)
    if parser is None:
        accepted = ", ".join(ACCEPTED_EXTENSIONS)
        what = f"'{extension}' files are" if extension else "files without an extension are"
        raise SubtitleError(f"{shown}: {what} not accepted; upload one of: {accepted}")
    if not data:
        raise SubtitleError(f"{shown}: the file is empty")
    if len(data) > max_bytes:
        raise SubtitleError(f"{shown}: the file is too large ({_size(len(data))}); the limit is {_size(max_bytes)}")
    text, encoding = decode_text(data, shown)
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise SubtitleError(f"{shown}: the file contains only blank space")
    return parser(text, shown, encoding)
