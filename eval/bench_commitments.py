"""Commitment tracker benchmark: gold commitments of agreements against the tracker's rows.

    python -m eval.bench_commitments [--qa ../shared/qa/commitments-dev.jsonl] [--corpus ../shared/corpus/seeds]

The corpus is ingested into a fresh TROLY_HOME (its embedding time is printed apart), then the tracker is
built with an empty cache (extraction of every document) and again by a new process-like reader (a new
Library and Tracker over the same home: the cache answers). Targets (issue 15): recall of required items
>= 0.9, with the right party >= 0.85, share of rows matching a listed item >= 0.8, every quote exact, build
<= 60 s, re-run <= 1 s.

A required item is found when a row of its document quotes its key phrase (as written); a row of a document
the gold file lists matches when its quote holds any key phrase listed for that document.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from index.library import Library
from index.tracker import CommitmentCache, Tracker
from ingest.commitments import extract_commitments
from ingest.profile import build_profile
from troly.records import Commitment, Document, Quote, TrackedAgreement
from troly.settings import Settings

TARGETS = {"recall": 0.9, "party": 0.85, "precision": 0.8, "build_s": 60.0, "rerun_s": 1.0}


@dataclass(frozen=True)
class GoldItem:
    source: str
    party: str
    pillar: str | None
    key: str
    required: bool


@dataclass
class Scores:
    required: int
    found: int
    right_party: int
    rows: int
    matching: int
    quotes: int
    exact: int
    misses: list[GoldItem]
    unmatched: list[Commitment]

    @property
    def recall(self) -> float:
        return self.found / self.required if self.required else 0.0

    @property
    def party(self) -> float:
        return self.right_party / self.required if self.required else 0.0

    @property
    def precision(self) -> float:
        return self.matching / self.rows if self.rows else 0.0


def load_gold(path: Path) -> list[GoldItem]:
    items = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            raw = json.loads(line)
            items.append(
                GoldItem(raw["source"], raw["party"], raw.get("pillar"), raw["key"], raw["required"])
            )
    return items


def _quotes(row: Commitment) -> list[Quote]:
    return [row.citation, *row.also]


def score(entries: list[TrackedAgreement], gold: list[GoldItem], documents: dict[str, Document]) -> Scores:
    rows = [row for entry in entries for row in entry.commitments]
    listed = {g.source for g in gold}
    found = right = 0
    misses = []
    for item in (g for g in gold if g.required):
        quoting = [
            r for r in rows if any(q.source == item.source and item.key in q.quote for q in _quotes(r))
        ]
        if not quoting:
            misses.append(item)
            continue
        found += 1
        right += any(r.party == item.party for r in quoting)
    judged = [r for r in rows if r.citation.source in listed]
    keys = {s: [g.key for g in gold if g.source == s] for s in listed}
    unmatched = [
        r for r in judged if not any(k in q.quote for q in _quotes(r) for k in keys.get(q.source, []))
    ]
    quotes = [q for r in rows for q in _quotes(r)]
    exact = sum(
        1 for q in quotes if q.source in documents and documents[q.source].text[q.start : q.end] == q.quote
    )
    return Scores(
        required=sum(1 for g in gold if g.required),
        found=found,
        right_party=right,
        rows=len(judged),
        matching=len(judged) - len(unmatched),
        quotes=len(quotes),
        exact=exact,
        misses=misses,
        unmatched=unmatched,
    )


def _from_files(documents: list[Document]) -> float:
    """Seconds to profile and extract every document again, as a changed corpus costs at ingest."""
    started = time.perf_counter()
    for document in documents:
        extract_commitments(document, build_profile(document))
    return time.perf_counter() - started


def _cli_seconds(home: Path) -> float:
    env = {**os.environ, "TROLY_HOME": str(home)}
    command = [sys.executable, "-c", "from troly.cli import main; main()", "agreements", "--json"]
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def run(qa: Path, corpus: Path, home: Path) -> int:
    settings = Settings(home=home)
    started = time.perf_counter()
    report = Library.open(settings).ingest([corpus])
    ingest_s = time.perf_counter() - started
    cache = CommitmentCache(settings.tracker_dir)

    started = time.perf_counter()
    entries = Tracker(Library.open(settings), cache).agreements()
    build_s = time.perf_counter() - started
    started = time.perf_counter()
    again = Tracker(Library.open(settings), cache).agreements()
    rerun_s = time.perf_counter() - started

    library = Library.open(settings)
    documents = {d.id: d for d in library.documents()}
    from_files_s = _from_files(list(documents.values()))
    cli_s = _cli_seconds(home)
    scores = score(entries, load_gold(qa), documents)
    same = [e.model_dump() for e in again] == [e.model_dump() for e in entries]
    print(
        f"corpus {corpus}: {len(documents)} documents, ingest (load, profile, embed) {ingest_s:.1f} s, "
        f"{report.count('failed')} failed"
    )
    print(
        f"entries: {len(entries)} ({', '.join(e.id for e in entries)}); no entry for "
        f"{', '.join(sorted(set(documents) - {s for e in entries for s in e.sources})) or '-'}"
    )
    lines = [
        (
            "recall of required items",
            scores.recall,
            f"{scores.found}/{scores.required}",
            TARGETS["recall"],
            True,
        ),
        (
            "with the right party",
            scores.party,
            f"{scores.right_party}/{scores.required}",
            TARGETS["party"],
            True,
        ),
        (
            "rows matching a listed item",
            scores.precision,
            f"{scores.matching}/{scores.rows}",
            TARGETS["precision"],
            True,
        ),
        (
            "quotes exact",
            scores.exact / scores.quotes if scores.quotes else 1.0,
            f"{scores.exact}/{scores.quotes}",
            1.0,
            True,
        ),
        ("build, empty cache (s)", build_s, "", TARGETS["build_s"], False),
        (
            "re-run, unchanged documents (s)",
            rerun_s,
            "same rows" if same else "ROWS DIFFER",
            TARGETS["rerun_s"],
            False,
        ),
    ]
    print(
        f"profile + extract from the loaded texts, no cache: {from_files_s:.3f} s; "
        f"`troly agreements --json` on the warm cache, whole process: {cli_s:.2f} s"
    )
    failed = not same
    print(f"{'measure':34} {'value':>8} {'count':>10} {'target':>8}")
    for name, value, count, target, higher in lines:
        ok = value >= target if higher else value <= target
        failed |= not ok
        print(
            f"{name:34} {value:8.3f} {count:>10} {('>=' if higher else '<=') + format(target, 'g'):>8} {'ok' if ok else 'MISSED'}"
        )
    for item in scores.misses:
        print(f"missed: {item.source} [{item.party}] {item.key}")
    for row in scores.unmatched:
        print(f"row matching no listed item: {row.citation.source} [{row.party}] {row.text[:100]}")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    here = Path(__file__).resolve().parents[1]
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--qa", type=Path, default=here.parent / "shared" / "qa" / "commitments-dev.jsonl")
    parser.add_argument("--corpus", type=Path, default=here.parent / "shared" / "corpus" / "seeds")
    parser.add_argument(
        "--home", type=Path, default=None, help="TROLY_HOME to use (default: a new temp dir)."
    )
    args = parser.parse_args(argv)
    if not args.qa.is_file() or not args.corpus.is_dir():
        print(f"skipped: {args.qa} or {args.corpus} is absent", file=sys.stderr)
        return 0
    if args.home is not None:
        return run(args.qa, args.corpus, args.home)
    with tempfile.TemporaryDirectory(prefix="troly-commitments-") as home:
        return run(args.qa, args.corpus, Path(home))


if __name__ == "__main__":
    sys.exit(main())
