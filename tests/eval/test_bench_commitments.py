"""The commitment benchmark's scoring on small data, and its targets over ../shared when present."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.bench_commitments import GoldItem, load_gold, score
from index.library import Library
from index.tracker import CommitmentCache, Tracker
from ingest.profile import build_profile
from tests.ingest.commitment_texts import LANG_SON, document
from troly.records import Document, DocumentProfile
from troly.settings import Settings


class _Source:
    def __init__(self) -> None:
        self.doc = document(LANG_SON)

    def document(self, doc_id: str) -> Document | None:
        return self.doc if doc_id == self.doc.id else None

    def profiles(self) -> list[DocumentProfile]:
        return [build_profile(self.doc)]


def test_scoring_counts_found_party_matching_and_exact_quotes(tmp_path: Path) -> None:
    source = _Source()
    entries = Tracker(source, CommitmentCache(None)).agreements()
    gold = [
        GoldItem("lang-son.txt", "VNPT", "hạ tầng số", "phủ sóng 5G", True),
        GoldItem("lang-son.txt", "VNPT", None, "tạo điều kiện thuận lợi", True),  # the province's, not VNPT's
        GoldItem("lang-son.txt", "hai bên", None, "không có trong văn bản", True),
        GoldItem("lang-son.txt", "hai bên", None, "thương mại điện tử", False),
    ]
    scores = score(entries, gold, {source.doc.id: source.doc})
    assert (scores.required, scores.found, scores.right_party) == (3, 2, 1)
    assert scores.matching == 3 and scores.rows == len(entries[0].commitments)
    assert scores.exact == scores.quotes > 0
    assert [m.key for m in scores.misses] == ["không có trong văn bản"]


@pytest.mark.shared
def test_targets_over_the_seed_agreements(shared_dir: Path, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, embedding={"backend": "none"})  # type: ignore[arg-type]
    library = Library.open(settings)
    library.ingest([shared_dir / "corpus" / "seeds"])
    entries = Tracker(library, CommitmentCache(settings.tracker_dir)).agreements()
    documents = {d.id: d for d in library.documents()}
    scores = score(entries, load_gold(shared_dir / "qa" / "commitments-dev.jsonl"), documents)
    assert scores.recall >= 0.9 and scores.party >= 0.85 and scores.precision >= 0.8
    assert scores.exact == scores.quotes
    news = [d for d in documents if d not in {s for e in entries for s in e.sources}]
    assert news  # the seed article without an agreement is no entry
