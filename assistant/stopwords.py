"""Question words and function words (folded): matching them says nothing about whether a sentence answers,
and writing them adds no claim."""

from __future__ import annotations

from ingest.vietnamese import WordSet, fold

_STOPWORDS_TEXT = """
là ai gì nào đâu sao bao nhiêu mấy không có của và các những được cho với trong theo khi thì mà này đó ấy
ở tại về từ đã đang sẽ một như thế hay hoặc để do bởi vì nên cũng rất vào ra lên còn hỏi cần
"""
STOPWORDS = frozenset(fold(w) for w in _STOPWORDS_TEXT.split())
_AS_TYPED = WordSet(_STOPWORDS_TEXT.split())


def is_stopword(word: str) -> bool:
    """With diacritics compared as written ("cửa" is not "của"); a word typed without any, folded."""
    return word in _AS_TYPED
