"""The tracker's entries as CSV, Markdown or an Excel workbook: one row per commitment, under its agreement.

CSV and XLSX carry every field an official filters on (agreement, parties, side, pillar, deadline, quote and
its offsets); Markdown groups each agreement's commitments by pillar, each line with its quote. The workbook
needs `openpyxl` (the `xlsx` extra).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from troly.errors import TrolyError
from troly.records import PILLARS, Commitment, TrackedAgreement

COLUMNS = (
    "agreement",
    "document",
    "parties",
    "signed",
    "period",
    "commitment",
    "party",
    "pillar",
    "deadline",
    "text",
    "source",
    "start",
    "end",
    "quote",
)
NO_PILLAR = "Chung (không thuộc trụ cột nào)"


class MissingExtraError(TrolyError):
    code = "missing_extra"
    exit_code = 2


def _period(entry: TrackedAgreement) -> str:
    return f"{entry.period.start}–{entry.period.end}" if entry.period else ""


def rows(entries: list[TrackedAgreement]) -> list[list[str | int]]:
    table: list[list[str | int]] = []
    for entry in entries:
        parties = " – ".join(p.name for p in entry.parties)
        for c in entry.commitments:
            table.append(
                [
                    entry.id,
                    entry.document,
                    parties,
                    entry.signed or "",
                    _period(entry),
                    c.id,
                    c.party,
                    c.pillar or "",
                    c.deadline or "",
                    c.text,
                    c.citation.source,
                    c.citation.start,
                    c.citation.end,
                    c.citation.quote,
                ]
            )
    return table


def to_csv(entries: list[TrackedAgreement]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerows(rows(entries))
    return out.getvalue()


def by_pillar(commitments: list[Commitment]) -> list[tuple[str, list[Commitment]]]:
    """The commitments grouped by pillar in the pillars' order, those of none last."""
    groups: list[tuple[str, list[Commitment]]] = []
    for pillar in (*PILLARS, None):
        chosen = [c for c in commitments if c.pillar == pillar]
        if chosen:
            groups.append((pillar or NO_PILLAR, chosen))
    return groups


def to_markdown(entries: list[TrackedAgreement]) -> str:
    if not entries:
        return "Không có thỏa thuận nào có cam kết trong tài liệu.\n"
    lines: list[str] = []
    for entry in entries:
        lines.append(f"## {' – '.join(p.name for p in entry.parties)}")
        facts = [
            f"Ký: {entry.signed}" if entry.signed else "",
            f"tại {entry.place}" if entry.place else "",
            f"giai đoạn {_period(entry)}" if entry.period else "",
            f"định hướng đến {entry.horizon}" if entry.horizon else "",
        ]
        lines.append("")
        lines.append(
            f"{'; '.join(f for f in facts if f) or 'Không rõ ngày ký'}. Nguồn: {', '.join(entry.sources)}"
        )
        for label, group in by_pillar(entry.commitments):
            lines.append("")
            lines.append(f"### {label}")
            lines.append("")
            for c in group:
                deadline = f" (hạn: {c.deadline})" if c.deadline else ""
                quote = " ".join(c.citation.quote.split())
                lines.append(f"- **{c.party}**: {c.text}{deadline}")
                lines.append(f"  > {quote} — {c.citation.source} [{c.citation.start}:{c.citation.end}]")
        lines.append("")
    return "\n".join(lines)


def write_xlsx(entries: list[TrackedAgreement], path: Path) -> None:
    try:
        from openpyxl import Workbook
    except ImportError as exc:
        raise MissingExtraError("Xuất Excel cần gói openpyxl: pip install 'troly[xlsx]'.") from exc
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Cam kết"
    sheet.append(list(COLUMNS))
    for row in rows(entries):
        sheet.append(row)
    sheet.freeze_panes = "A2"
    book.save(path)
