"""The commitment tracker: every agreement of the index with its commitments, by side and pillar.

    tracker = Tracker(library, CommitmentCache(settings.tracker_dir))
    entries = tracker.agreements(AgreementFilters(province="quang tri", pillar="kinh te so"))

Commitments are extracted from each document's text and profile (`ingest.commitments`) and cached by the
document's id and text hash, the extractor's and the profiler's versions: an unchanged corpus is read back
from the cache, and a changed document alone is read again. Documents about the same agreement (the same
parties, no different periods) are one entry listing both sources; a document that reports no agreement, or
one without any commitment, is no entry.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from pydantic import TypeAdapter, ValidationError

from ingest.commitments import COMMITMENTS_VERSION, extract_commitments, merge_commitments, party_label
from ingest.gazetteer import Gazetteer
from ingest.profile import PROFILE_VERSION, text_sha256
from ingest.vietnamese import fold
from troly.errors import TrolyError
from troly.records import (
    PILLARS,
    Agreement,
    Commitment,
    Document,
    DocumentProfile,
    Period,
    Pillar,
    TrackedAgreement,
    TrackedParty,
)

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
_ROWS = TypeAdapter(list[Commitment])


class BadFilterError(TrolyError):
    code = "bad_filter"
    exit_code = 2


class TrackerSource(Protocol):
    """What the tracker reads: `index.library.Library`."""

    def documents(self) -> list[Document]: ...

    def profiles(self) -> list[DocumentProfile]: ...


class CommitmentCache:
    """One JSON file per document text; a folder that cannot be written only costs the cache."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory

    @staticmethod
    def key(document: Document) -> str:
        made_by = f"c{COMMITMENTS_VERSION}p{PROFILE_VERSION}\n{document.id}\n{text_sha256(document)}"
        return hashlib.sha256(made_by.encode("utf-8")).hexdigest()

    def load(self, document: Document) -> list[Commitment] | None:
        if self.directory is None:
            return None
        path = self.directory / f"{self.key(document)}.json"
        try:
            return _ROWS.validate_json(path.read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, ValidationError, ValueError) as exc:
            log.warning("commitment cache %s unreadable (%s): made again", path, exc)
            return None

    def store(self, document: Document, rows: list[Commitment]) -> None:
        if self.directory is None:
            return
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
            with os.fdopen(fd, "wb") as handle:
                handle.write(_ROWS.dump_json(rows))
            os.replace(tmp, self.directory / f"{self.key(document)}.json")
        except OSError as exc:
            log.warning("commitment cache not written in %s: %s", self.directory, exc)


@dataclass(frozen=True)
class AgreementFilters:
    """Filters as officials type them: "quang tri", "Kinh tế số", "vnpt", "hai ben"; dates ISO, compared as
    text ('2025' <= '2025-10-29')."""

    province: str | None = None
    party: str | None = None
    pillar: str | None = None
    date_from: str | None = None
    date_to: str | None = None


class Tracker:
    def __init__(self, source: TrackerSource, cache: CommitmentCache) -> None:
        self.source = source
        self.cache = cache

    def agreements(
        self, filters: AgreementFilters | None = None, progress: Progress | None = None
    ) -> list[TrackedAgreement]:
        entries = build_entries(self.source.documents(), self.source.profiles(), self.cache, progress)
        return filter_entries(entries, filters or AgreementFilters())

    def agreement(self, agreement_id: str) -> TrackedAgreement | None:
        return next((e for e in self.agreements() if e.id == agreement_id), None)

    def commitment(self, commitment_id: str) -> tuple[TrackedAgreement, Commitment] | None:
        for entry in self.agreements():
            for row in entry.commitments:
                if row.id == commitment_id:
                    return entry, row
        return None


def document_commitments(
    document: Document, profile: DocumentProfile, cache: CommitmentCache
) -> list[Commitment]:
    cached = cache.load(document)
    if cached is not None:
        return cached
    rows = extract_commitments(document, profile)
    cache.store(document, rows)
    return rows


def build_entries(
    documents: Sequence[Document],
    profiles: Iterable[DocumentProfile],
    cache: CommitmentCache,
    progress: Progress | None = None,
) -> list[TrackedAgreement]:
    by_id = {p.doc_id: p for p in profiles}
    groups: list[tuple[DocumentProfile, Agreement, list[Document], list[Commitment]]] = []
    for done, document in enumerate(documents, start=1):
        profile = by_id.get(document.id)
        if profile is not None and profile.agreement is not None:
            rows = document_commitments(document, profile, cache)
            if rows:
                _group(groups, profile, profile.agreement, document, rows)
        if progress is not None:
            progress(done, len(documents))
    return [_entry(p, a, docs, rows) for p, a, docs, rows in groups]


def _group(
    groups: list[tuple[DocumentProfile, Agreement, list[Document], list[Commitment]]],
    profile: DocumentProfile,
    agreement: Agreement,
    document: Document,
    rows: list[Commitment],
) -> None:
    """Joins the group of the same agreement: the same parties, and not two different periods."""
    for _, known, docs, known_rows in groups:
        if known.party_keys() != agreement.party_keys():
            continue
        if known.period and agreement.period and known.period.start != agreement.period.start:
            continue
        docs.append(document)
        known_rows.extend(rows)
        return
    groups.append((profile, agreement, [document], list(rows)))


def _entry(
    profile: DocumentProfile, agreement: Agreement, docs: list[Document], rows: list[Commitment]
) -> TrackedAgreement:
    keys = "+".join(sorted(k.replace(":", ".") for k in agreement.party_keys()))
    period = agreement.period
    commitments = merge_commitments(rows)
    mentioned = set(profile.pillars) | {c.pillar for c in commitments if c.pillar}
    return TrackedAgreement(
        id=f"{keys}-{period.start}" if period else keys,
        document=docs[0].id,
        sources=[d.id for d in docs],
        title=docs[0].title,
        parties=[TrackedParty(name=party_label(p), key=p.key, written=p.name) for p in agreement.parties],
        province=next((p.place for p in agreement.parties if p.place and p.key == p.place), None),
        signed=agreement.signed.value if agreement.signed else None,
        place=agreement.place.text if agreement.place else None,
        period=Period(start=period.start, end=period.end) if period else None,
        horizon=agreement.horizon.year if agreement.horizon else None,
        pillars=[p for p in PILLARS if p in mentioned],
        commitments=commitments,
    )


# -- filters ------------------------------------------------------------------------------------------------


def province_key(typed: str) -> str:
    """The gazetteer key of a province typed any way ("quang tri", "TP.HCM"), or BadFilterError."""
    gazetteer = Gazetteer.default()
    found = gazetteer.find(typed)
    if not found:
        raise BadFilterError(f"Không nhận ra tỉnh, thành '{typed}'.")
    return found[0].key


def pillar_of(typed: str) -> Pillar:
    wanted = " ".join(fold(typed).split())
    for pillar in PILLARS:
        if fold(pillar) == wanted:
            return pillar
    names = ", ".join(PILLARS)
    raise BadFilterError(f"Trụ cột '{typed}' không có; chọn một trong: {names}.")


def _party_matches(row: Commitment, wanted: str) -> bool:
    if wanted in ("hai ben", "cac ben", "both"):
        return row.party_key == "both"
    return wanted in (fold(row.party), row.party_key) or wanted.replace(" ", "-") == row.party_key


def filter_entries(entries: list[TrackedAgreement], filters: AgreementFilters) -> list[TrackedAgreement]:
    """Entries of the province and signed within the dates; with a party or pillar, only the commitments of
    it (an entry left without any is dropped)."""
    province = province_key(filters.province) if filters.province else None
    pillar = pillar_of(filters.pillar) if filters.pillar else None
    party = " ".join(fold(filters.party).split()) if filters.party else None
    kept = []
    for entry in entries:
        if province is not None and entry.province != province:
            continue
        if filters.date_from and (entry.signed is None or entry.signed < filters.date_from):
            continue
        if filters.date_to and (
            entry.signed is None or entry.signed[: len(filters.date_to)] > filters.date_to
        ):
            continue
        rows = [
            c
            for c in entry.commitments
            if (pillar is None or c.pillar == pillar) and (party is None or _party_matches(c, party))
        ]
        if (pillar is not None or party is not None) and not rows:
            continue
        kept.append(entry.model_copy(update={"commitments": rows}))
    return kept


def entries_json(entries: list[TrackedAgreement]) -> str:
    return json.dumps(
        {"agreements": [e.model_dump(mode="json") for e in entries]}, ensure_ascii=False, indent=1
    )
