"""Reviewed feedback as a QA benchmark (EVAL-FORMAT.md's input format), so `troly eval run --qa FILE` re-runs
the questions officials really asked after every change.

Each reviewed item becomes one line: the official's question, the answers and sources the reviewer gave, or
`answerable: false` when the reviewer found that the documents do not hold the answer. Every line is checked
by the same model `troly eval run` reads with, so an export is always a valid QA file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

from eval.qa import QAItem
from troly.errors import TrolyError
from web.console_records import FeedbackItem
from web.store import ConsoleStore


class ExportError(TrolyError):
    code = "export"


def qa_item(item: FeedbackItem) -> QAItem:
    assert item.review is not None
    review = item.review
    return QAItem(
        id=f"feedback-{item.id}",
        question=item.question,
        answers=review.answers if review.answerable else [],
        all_of=[],
        sources=review.sources if review.answerable else [],
        answerable=review.answerable,
    )


def qa_lines(items: Iterable[FeedbackItem]) -> list[str]:
    """One JSON line per reviewed item, in EVAL-FORMAT.md's key order."""
    return [json.dumps(qa_item(item).model_dump(), ensure_ascii=False) for item in items if item.review]


def export_text(store: ConsoleStore, since: str | None = None) -> tuple[str, int]:
    lines = qa_lines(store.reviewed_items(since))
    return "".join(line + "\n" for line in lines), len(lines)


def write_export(store: ConsoleStore, path: Path, since: str | None = None) -> int:
    """Write the QA file (replacing it whole: a failed write leaves the old one); the number of questions."""
    text, count = export_text(store, since)
    tmp = path.with_name(path.name + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ExportError(f"Không ghi được tệp {path}: {exc.strerror or exc}") from exc
    return count
