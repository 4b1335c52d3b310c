"""The tracker over small corpora: entries per agreement, cache by content hash, filters."""

from __future__ import annotations

from pathlib import Path

import pytest

import index.tracker as tracker_module
from index.tracker import AgreementFilters, BadFilterError, CommitmentCache, Tracker
from ingest.profile import build_profile
from tests.ingest.commitment_texts import LANG_SON, NEWS, document
from troly.records import Document, DocumentProfile

SECOND_REPORT = (
    "Lạng Sơn và VNPT hợp tác chuyển đổi số\n\n"
    "Ngày 12/3/2024, UBND tỉnh Lạng Sơn và Tập đoàn VNPT ký thỏa thuận hợp tác chuyển đổi số giai đoạn "
    "2024 - 2028.\n\n"
    "Về kinh tế số, VNPT sẽ hỗ trợ hợp tác xã bán nông sản trên sàn thương mại điện tử."
)


class Source:
    def __init__(self, docs: list[Document]) -> None:
        self.docs = docs

    def document(self, doc_id: str) -> Document | None:
        return next((d for d in self.docs if d.id == doc_id), None)

    def profiles(self) -> list[DocumentProfile]:
        return [build_profile(d) for d in self.docs]


def _source() -> Source:
    return Source(
        [
            document(LANG_SON),
            document(NEWS, "tin.txt", "Lạng Sơn đẩy mạnh dịch vụ công"),
            document(SECOND_REPORT, "bao-khac.txt", "Lạng Sơn và VNPT hợp tác chuyển đổi số"),
        ]
    )


def test_one_entry_per_agreement_with_both_sources_and_no_entry_for_news(tmp_path: Path) -> None:
    entries = Tracker(_source(), CommitmentCache(tmp_path)).agreements()
    assert len(entries) == 1
    entry = entries[0]
    assert entry.id == "lang-son+vnpt-2024"
    assert entry.sources == ["lang-son.txt", "bao-khac.txt"]
    assert [p.name for p in entry.parties] == ["Lạng Sơn", "VNPT"]
    assert (entry.province, entry.signed, entry.period and entry.period.end) == (
        "lang-son",
        "2024-03-12",
        2028,
    )
    assert {c.citation.source for c in entry.commitments} == {"lang-son.txt", "bao-khac.txt"}


def test_an_unchanged_corpus_is_read_from_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = _source()
    first = Tracker(source, CommitmentCache(tmp_path)).agreements()
    calls: list[str] = []
    real = tracker_module.extract_commitments

    def counted(doc: Document, profile: DocumentProfile) -> object:
        calls.append(doc.id)
        return real(doc, profile)

    monkeypatch.setattr(tracker_module, "extract_commitments", counted)
    assert Tracker(source, CommitmentCache(tmp_path)).agreements() == first
    assert calls == []
    source.docs[2] = document(SECOND_REPORT + " Hai bên sẽ đánh giá kết quả hằng năm.", "bao-khac.txt")
    Tracker(source, CommitmentCache(tmp_path)).agreements()
    assert calls == ["bao-khac.txt"]


def test_a_damaged_or_unwritable_cache_only_costs_time(tmp_path: Path) -> None:
    source = _source()
    cache = CommitmentCache(tmp_path)
    expected = Tracker(source, cache).agreements()
    for path in tmp_path.glob("*.json"):
        path.write_text("{not json", encoding="utf-8")
    assert Tracker(source, cache).agreements() == expected
    blocked = tmp_path / "file"
    blocked.write_text("", encoding="utf-8")
    assert Tracker(source, CommitmentCache(blocked / "sub")).agreements() == expected


def test_filters_by_province_party_pillar_and_date(tmp_path: Path) -> None:
    tracker = Tracker(_source(), CommitmentCache(tmp_path))
    assert len(tracker.agreements(AgreementFilters(province="lang son"))) == 1
    assert tracker.agreements(AgreementFilters(province="Quảng Trị")) == []
    vnpt = tracker.agreements(AgreementFilters(party="vnpt"))[0].commitments
    assert vnpt and {c.party for c in vnpt} == {"VNPT"}
    both = tracker.agreements(AgreementFilters(party="hai ben"))[0].commitments
    assert both and {c.party_key for c in both} == {"both"}
    economy = tracker.agreements(AgreementFilters(pillar="kinh te so"))[0].commitments
    assert [c.citation.source for c in economy] == ["bao-khac.txt"]
    assert len(tracker.agreements(AgreementFilters(date_from="2024", date_to="2024-03"))) == 1
    assert tracker.agreements(AgreementFilters(date_from="2025")) == []


def test_unknown_filter_values_are_clear_errors(tmp_path: Path) -> None:
    tracker = Tracker(_source(), CommitmentCache(tmp_path))
    with pytest.raises(BadFilterError, match="Trụ cột"):
        tracker.agreements(AgreementFilters(pillar="năng lượng"))
    with pytest.raises(BadFilterError, match="tỉnh"):
        tracker.agreements(AgreementFilters(province="Atlantis"))


def test_lookup_by_id(tmp_path: Path) -> None:
    tracker = Tracker(_source(), CommitmentCache(tmp_path))
    entry = tracker.agreements()[0]
    assert tracker.agreement(entry.id) == entry
    assert tracker.agreement("khong-co") is None
    found = tracker.commitment(entry.commitments[0].id)
    assert found is not None and found[1] == entry.commitments[0]
