"""A token mask that keeps the model's free text in the transcript's words, without repeats.

The grammar decides the JSON; this mask narrows what it allows inside free-text string
values (the introduction, titles, bullets; topics too when they are not chosen from a list):

* grounding (`GenerationConfig.ground_tokens`): every word written there must be a word of
  the transcript, or a function word (`quality.STOPWORDS`). Punctuation and spaces are free.
  A word is a run of letters and digits (any script). Its case must be one the transcript
  uses, or the word in lower case, or capitalized ("Rust", "rust"), never a mix the
  transcript does not have ("RuSt");
* no repeats (`GenerationConfig.no_repeat_ngram` = n): a word may not end an n-gram of words
  (compared lowercased) already written anywhere in the summary, earlier in the same string
  included. The history is shared by every call that writes one summary (map and reduce), so
  a section cannot repeat another's phrases. A banned word is refused where it would start
  (a token " Cargo" after "the rust") and, spelled in pieces, where it would end.

How it is fast enough to run at every step: a token is classified once per tokenizer by how
its text meets words (`Vocabulary`). A token that starts with a separator (" hashing") is
checked once per transcript (`Lexicon`); one that continues a word ("ing") is looked up by the
letters it adds to the word in progress. Masks are cached by the word in progress.

When the mask and the grammar together allow nothing (a string forced to close mid-word, a
key the model must spell when jump-forward is off), the grammar's choice stands alone.
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import torch

from .quality import STOPWORDS

_WORD = re.compile(r"[^\W_]+")


def word_list(text: str) -> list[str]:
    """The mask's words of `text`, in order, as written."""
    return _WORD.findall(text)


def forms(words: Iterable[str]) -> set[str]:
    """The spellings allowed for `words`: each as written, in lower case, and capitalized."""
    out: set[str] = set()
    for w in words:
        low = w.lower()
        out.update((w, low, low[:1].upper() + low[1:]))
    return out


GLUE_WORDS = frozenset(forms(w for s in STOPWORDS for w in _WORD.findall(s)))


@dataclass(frozen=True)
class _Shape:
    """How one token's text meets words: see Vocabulary."""

    lead: str | None  # letters at its start, continuing the word in progress
    whole: bool  # the token is letters only: the word goes on after it
    inner: tuple[str, ...]  # complete words strictly inside it
    tail: str | None  # letters at its end: a new word in progress


class Vocabulary:
    """Every token of a tokenizer, classified once.

    Text after a `"` belongs to the JSON around the string, so only the part before it counts;
    a quote or a backslash ends the word in progress. Byte-fallback pieces of a character
    ("\\ufffd" when decoded alone) are never allowed in grounded text."""

    def __init__(self, tokenizer: Any, size: int) -> None:
        self.size = size
        self.texts: list[str] = []
        self.glue: list[int] = []  # no letters: allowed wherever a word may end
        self.shapes: dict[int, _Shape] = {}
        self.continuing: dict[str, list[int]] = defaultdict(list)  # lead -> whole tokens
        self.closing: dict[str, list[int]] = defaultdict(list)  # lead -> tokens ending it
        # Tokens that start a new word (a separator first), by that word lowercased: complete
        # inside the token (" hash.") or, at its end, possibly going on (" hash").
        self.opening: dict[str, list[int]] = defaultdict(list)
        self.opening_tail: dict[str, list[int]] = defaultdict(list)
        for tid in range(size):
            text = tokenizer.decode([tid]) if tid < len(tokenizer) else ""
            self.texts.append(text)
            if "\ufffd" in text or not text:
                continue
            cut = re.split(r'["\\]', text, maxsplit=1)
            seen, closes = cut[0], len(cut) > 1
            runs = list(_WORD.finditer(seen))
            if not runs:
                self.glue.append(tid)
                continue
            lead = runs[0].group() if runs[0].start() == 0 else None
            whole = lead is not None and len(runs) == 1 and runs[0].end() == len(seen) and not closes
            tail = runs[-1].group() if runs[-1].end() == len(seen) and not closes and not whole else None
            if tail is not None and len(runs) == 1 and lead is not None:
                tail = None  # unreachable: a single run at both ends is `whole`
            inner = [r.group() for r in runs]
            if lead is not None:
                inner = inner[1:]
            if tail is not None:
                inner = inner[:-1]
            shape = _Shape(lead, whole, tuple(inner), tail)
            self.shapes[tid] = shape
            if lead is not None:
                (self.continuing if whole else self.closing)[lead].append(tid)
            elif inner:
                self.opening[inner[0].lower()].append(tid)
            elif tail is not None:
                self.opening_tail[tail.lower()].append(tid)


class Lexicon:
    """The words allowed in one transcript's (or one stretch's) summary, and the tokens that
    start with a separator and are fine there, computed once."""

    def __init__(self, vocab: Vocabulary, words: Iterable[str] | None) -> None:
        self.vocab = vocab
        self.words = None if words is None else frozenset(forms(words)) | GLUE_WORDS
        self.sorted = sorted(self.words) if self.words is not None else []
        self.prefixes = (
            None if self.words is None else {w[:k] for w in self.words for k in range(1, len(w) + 1)}
        )
        free = list(vocab.glue)
        for tid, s in vocab.shapes.items():
            if s.lead is None and self._static_ok(s):
                free.append(tid)
        self.free = self._mask(free)
        self._cache: dict[str, torch.Tensor] = {}

    def is_word(self, w: str) -> bool:
        return self.words is None or w in self.words

    def is_prefix(self, p: str) -> bool:
        return self.prefixes is None or p in self.prefixes

    def _static_ok(self, s: _Shape) -> bool:
        return all(self.is_word(w) for w in s.inner) and (s.tail is None or self.is_prefix(s.tail))

    def _mask(self, ids: Iterable[int]) -> torch.Tensor:
        mask = torch.zeros(self.vocab.size, dtype=torch.bool)
        ids = list(ids)
        if ids:
            mask[torch.tensor(ids, dtype=torch.long)] = True
        return mask

    def _words_from(self, p: str) -> list[str]:
        i = bisect.bisect_left(self.sorted, p)
        out = []
        while i < len(self.sorted) and self.sorted[i].startswith(p):
            out.append(self.sorted[i])
            i += 1
        return out

    def mask(self, partial: str, banned: frozenset[str], banned_next: frozenset[str] = frozenset()) -> torch.Tensor:
        """Tokens allowed when the word in progress is `partial` ("" at a separator), a word in
        `banned` (lowercase) may not be completed next, and one in `banned_next` may not start
        after it."""
        allowed = self._base(partial)
        if not banned and not banned_next:
            return allowed
        allowed = allowed.clone()
        low, n = partial.lower(), len(partial)
        if partial and low in banned:
            allowed &= ~self.free  # a separator would complete it
        ids = [t for b in banned if len(b) > n and b.startswith(low)
               for lead in ({b, b[:1].upper() + b[1:]} if n == 0 else {b[n:]})
               for t in self.vocab.closing.get(lead, ())]
        # A token that spells the rest of a banned word the lexicon cannot extend would leave
        # nothing allowed after it.
        ids += [t for b in banned if len(b) > n and b.startswith(low) and not self._extends(b)
                for t in self.vocab.continuing.get(b[n:], ())]
        ids += [t for b in banned_next for t in self.vocab.opening.get(b, ())]
        ids += [t for b in banned_next if not self._extends(b) for t in self.vocab.opening_tail.get(b, ())]
        if ids:
            allowed[torch.tensor(ids, dtype=torch.long)] = False
        return allowed

    def _extends(self, word: str) -> bool:
        """Whether some allowed word is `word` and more ("hash" -> "hashing")."""
        return self.words is None or any(len(w) > len(word) for w in self._words_from(word))

    def _base(self, partial: str) -> torch.Tensor:
        hit = self._cache.get(partial)
        if hit is not None:
            return hit
        v = self.vocab
        ends_ok = partial == "" or self.is_word(partial)
        if self.words is None:
            allowed = torch.ones(v.size, dtype=torch.bool)
        else:
            allowed = self.free.clone() if ends_ok else torch.zeros(v.size, dtype=torch.bool)
            leads_whole: set[str] = set()
            leads_closing: set[str] = set()
            n = len(partial)
            for w in self._words_from(partial):
                if len(w) > n:
                    leads_closing.add(w[n:])
                    leads_whole.update(w[n:k] for k in range(n + 1, len(w) + 1))
            ids = [t for lead in leads_whole for t in v.continuing.get(lead, ())]
            ids += [t for lead in leads_closing for t in v.closing.get(lead, ()) if self._static_ok(v.shapes[t])]
            if ids:
                allowed[torch.tensor(ids, dtype=torch.long)] = True
        if len(self._cache) > 4096:
            self._cache.clear()
        self._cache[partial] = allowed
        return allowed


class History:
    """The words written so far in one summary, for the no-repeat rule: every n-gram seen, by
    its first n-1 words."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.next_words: dict[tuple[str, ...], set[str]] = defaultdict(set)

    def add_piece(self, words: Sequence[str]) -> None:
        if self.n < 1:
            return
        for i in range(len(words) - self.n + 1):
            self.next_words[tuple(words[i:i + self.n - 1])].add(words[i + self.n - 1])

    def banned(self, piece: Sequence[str]) -> frozenset[str]:
        """Words that may not come next after `piece` (the words of the string being
        written): those that would repeat an n-gram of an earlier string or of this one."""
        if self.n < 1 or len(piece) < self.n - 1:
            return frozenset()
        key = tuple(piece[len(piece) - self.n + 1:])
        out = set(self.next_words.get(key, ()))
        for i in range(len(piece) - self.n + 1):
            if tuple(piece[i:i + self.n - 1]) == key:
                out.add(piece[i + self.n - 1])
        return frozenset(out)


@dataclass
class _Frame:
    array: bool
    key: str | None = None
    expect_key: bool = True


@dataclass
class TextConstraint:
    """Follows the JSON being written and masks the logits inside free-text values.

    `free_keys`: the keys whose string values (or arrays of strings) are free text.
    `lexicon` None: no grounding, only the no-repeat rule (`history` with n > 0)."""

    vocab: Vocabulary
    lexicon: Lexicon
    history: History
    free_keys: frozenset[str]
    stack: list[_Frame] = field(default_factory=list)
    in_string: bool = False
    escape: bool = False
    key_string: bool = False
    string_key: str | None = None
    buffer: str = ""
    partial: str = ""
    piece: list[str] = field(default_factory=list)
    masked_steps: int = 0
    fallback_steps: int = 0

    @property
    def active(self) -> bool:
        return self.in_string and not self.key_string and self.string_key in self.free_keys

    def apply(self, logits: torch.Tensor) -> None:
        """Mask `logits` ([1, V], the grammar's mask already applied) in place."""
        if not self.active:
            return
        banned = self.history.banned(self.piece)
        after = self.history.banned(self.piece + [self.partial.lower()]) if self.partial else banned
        allowed = self.lexicon.mask(self.partial, banned, after)
        width = min(allowed.shape[0], logits.shape[-1])
        row = logits[0, :width]
        keep = allowed[:width].to(row.device)
        if not torch.isfinite(row[keep]).any():
            self.fallback_steps += 1
            return
        row.masked_fill_(~keep, float("-inf"))
        if logits.shape[-1] > width:
            logits[0, width:] = float("-inf")
        self.masked_steps += 1

    def accept(self, ids: Iterable[int]) -> None:
        for tid in ids:
            self._feed(self.vocab.texts[tid] if tid < len(self.vocab.texts) else "")

    def _end_word(self) -> None:
        if self.partial:
            self.piece.append(self.partial.lower())
            self.partial = ""

    def _feed(self, text: str) -> None:
        for ch in text:
            if self.in_string:
                if self.escape:
                    self.escape = False
                    if not self.key_string:
                        self._end_word()
                elif ch == "\\":
                    self.escape = True
                elif ch == '"':
                    self.in_string = False
                    if self.key_string:
                        if self.stack:
                            self.stack[-1].key = self.buffer
                    else:
                        self._end_word()
                        if self.string_key in self.free_keys:
                            self.history.add_piece(self.piece)
                        self.piece = []
                elif self.key_string:
                    self.buffer += ch
                elif ch.isalnum():
                    self.partial += ch
                else:
                    self._end_word()
                continue
            top = self.stack[-1] if self.stack else None
            if ch == "{":
                self.stack.append(_Frame(array=False))
            elif ch == "[":
                self.stack.append(_Frame(array=True, key=top.key if top else None, expect_key=False))
            elif ch in "}]":
                if self.stack:
                    self.stack.pop()
            elif ch == ":" and top is not None and not top.array:
                top.expect_key = False
            elif ch == "," and top is not None and not top.array:
                top.expect_key = True
            elif ch == '"':
                self.in_string = True
                self.key_string = top is not None and not top.array and top.expect_key
                self.string_key = None if self.key_string else (top.key if top else None)
                self.buffer, self.partial, self.piece = "", "", []
