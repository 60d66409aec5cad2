"""The grounding mask on a hand-made vocabulary: which tokens it allows, word by word."""

import torch

from inference.grounding import History, Lexicon, TextConstraint, Vocabulary, forms

TOKENS = ["{", "}", '"', ":", ",", " ", " the", " rust", " Rust", " RuSt", " cargo", " Cargo", " car", "go",
          " package", " hash", "ing", " banana", '",', ".", "\ufffd", "The", "t"]


class FakeTokenizer:
    def __len__(self):
        return len(TOKENS)

    def decode(self, ids):
        return "".join(TOKENS[i] for i in ids)


def tid(text):
    return TOKENS.index(text)


def constraint(words, n=3):
    vocab = Vocabulary(FakeTokenizer(), len(TOKENS))
    return TextConstraint(vocab, Lexicon(vocab, words), History(n), frozenset({"content"}))


def allowed(c):
    logits = torch.zeros(1, len(TOKENS))
    c.apply(logits)
    return {TOKENS[i] for i in range(len(TOKENS)) if torch.isfinite(logits[0, i])}


def feed(c, *texts):
    c.accept([tid(t) for t in texts])


def test_forms_allow_the_transcripts_case_lower_case_and_capitals():
    assert forms(["PostgreSQL"]) == {"PostgreSQL", "postgresql", "Postgresql"}


def test_only_the_transcripts_words_in_a_case_it_allows():
    c = constraint(["rust", "cargo", "hashing"])
    c._feed('{"content":"')
    ok = allowed(c)
    assert {" rust", " Rust", " cargo", " Cargo", " the", " car", " hash"} <= ok
    assert " RuSt" not in ok  # a mixed case the transcript never used
    assert " banana" not in ok and " package" not in ok  # not in the transcript
    assert "\ufffd" not in ok  # a byte piece
    feed(c, " hash")
    assert "ing" in allowed(c)  # "hashing" is a word of the transcript
    assert " the" not in allowed(c)  # "hash" alone is not


def test_outside_free_text_nothing_is_masked():
    c = constraint(["rust"])
    c._feed('{"title":"')
    assert allowed(c) == set(TOKENS)


def test_a_repeated_trigram_is_refused_where_its_last_word_starts():
    c = constraint(["rust", "cargo", "cart", "package"])
    c._feed('{"content":"')
    feed(c, " the", " rust", " cargo", " package", ".", " the", " rust")
    ok = allowed(c)
    assert " cargo" not in ok and " Cargo" not in ok  # "the rust cargo" again
    assert " package" in ok
    feed(c, " car")
    ok = allowed(c)
    assert "t" in ok and "go" not in ok  # spelled in pieces: stopped where it would end


def test_a_banned_word_the_lexicon_extends_may_go_on():
    c = constraint(["hash", "hashing"], n=2)
    c._feed('{"content":"')
    feed(c, " the", " hash", ".", " the")
    assert " hash" in allowed(c)  # "hash" may still become "hashing"
    feed(c, " hash")
    ok = allowed(c)
    assert "ing" in ok  # "the hashing" is new
    assert not ({" ", ".", '",'} & ok)  # a separator would complete "the hash" again


def test_the_history_spans_strings():
    c = constraint(["rust", "cargo", "package"])
    c._feed('{"content":["')
    feed(c, " the", " rust", " cargo", '",')
    c._feed('"')
    feed(c, " the", " rust")
    assert " cargo" not in allowed(c)


def test_without_the_no_repeat_rule_a_trigram_may_repeat():
    c = constraint(["rust", "cargo"], n=0)
    c._feed('{"content":"')
    feed(c, " the", " rust", " cargo", ".", " the", " rust")
    assert " cargo" in allowed(c)


def test_no_grounding_keeps_only_the_no_repeat_rule():
    vocab = Vocabulary(FakeTokenizer(), len(TOKENS))
    c = TextConstraint(vocab, Lexicon(vocab, None), History(3), frozenset({"content"}))
    c._feed('{"content":"')
    feed(c, " the", " banana", " cargo", ".", " the", " banana")
    assert {" package", " RuSt", " cargo"} <= allowed(c)  # any word; " cargo" may go on ("cargoes")
    feed(c, " cargo")
    assert not ({" ", ".", '",'} & allowed(c))  # but may not end there
