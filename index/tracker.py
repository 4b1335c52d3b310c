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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, ValidationError

from ingest.commitments import COMMITMENTS_VERSION, extract_commitments, merge_commitments, party_label
from ingest.gazetteer import Gazetteer
from ingest.profile import PROFILE_VERSION
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


class BadFilterError(TrolyError):
    code = "bad_filter"
    exit_code = 2


class TrackerSource(Protocol):
    """What the tracker reads: `index.library.Library` (the API's library too)."""

    def profiles(self) -> list[DocumentProfile]: ...

    def document(self, doc_id: str) -> Document | None: ...


class _Cached(BaseModel):
    title: str
    rows: list[Commitment]


class CommitmentCache:
    """One JSON file per document text (its title and commitments); a folder that cannot be written only
    costs the cache. Keyed by what the profile records of the text, so a hit never reads the document."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory

    @staticmethod
    def key(profile: DocumentProfile) -> str:
        made_by = f"c{COMMITMENTS_VERSION}p{PROFILE_VERSION}\n{profile.doc_id}\n{profile.text_sha256}"
        return hashlib.sha256(made_by.encode("utf-8")).hexdigest()

    def _path(self, profile: DocumentProfile) -> Path | None:
        if self.directory is None or not profile.text_sha256:
            return None
        return self.directory / f"{self.key(profile)}.json"

    def load(self, profile: DocumentProfile) -> tuple[str, list[Commitment]] | None:
        path = self._path(profile)
        if path is None:
            return None
        try:
            cached = _Cached.model_validate_json(path.read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, ValidationError, ValueError) as exc:
            log.warning("commitment cache %s unreadable (%s): made again", path, exc)
            return None
        return cached.title, cached.rows

    def store(self, profile: DocumentProfile, title: str, rows: list[Commitment]) -> None:
        path = self._path(profile)
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as handle:
                handle.write(_Cached(title=title, rows=rows).model_dump_json().encode("utf-8"))
            os.replace(tmp, path)
        except OSError as exc:
            log.warning("commitment cache not written in %s: %s", path.parent, exc)


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
        entries = build_entries(self.source, self.cache, progress)
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
    source: TrackerSource, profile: DocumentProfile, cache: CommitmentCache
) -> tuple[str, list[Commitment]] | None:
    """The document's title and commitments, from the cache or made now (None: it left the index)."""
    cached = cache.load(profile)
    if cached is not None:
        return cached
    document = source.document(profile.doc_id)
    if document is None:
        return None
    rows = extract_commitments(document, profile)
    cache.store(profile, document.title, rows)
    return document.title, rows


def build_entries(
    source: TrackerSource, cache: CommitmentCache, progress: Progress | None = None
) -> list[TrackedAgreement]:
    """Every agreement's entry; only documents whose profile reports an agreement are read."""
    profiles = [p for p in source.profiles() if p.agreement is not None]
    groups: list[_Group] = []
    for done, profile in enumerate(profiles, start=1):
        found = document_commitments(source, profile, cache)
        if found is not None and found[1]:
            _join(groups, profile, found[0], found[1])
        if progress is not None:
            progress(done, len(profiles))
    return [_entry(g) for g in groups]


@dataclass
class _Group:
    profile: DocumentProfile
    agreement: Agreement
    title: str
    sources: list[str]
    rows: list[Commitment]


def _join(groups: list[_Group], profile: DocumentProfile, title: str, rows: list[Commitment]) -> None:
    """Joins the group of the same agreement: the same parties, and not two different periods."""
    agreement = profile.agreement
    assert agreement is not None
    for group in groups:
        known = group.agreement
        if known.party_keys() != agreement.party_keys():
            continue
        if known.period and agreement.period and known.period.start != agreement.period.start:
            continue
        group.sources.append(profile.doc_id)
        group.rows.extend(rows)
        return
    groups.append(_Group(profile, agreement, title, [profile.doc_id], list(rows)))


def _entry(group: _Group) -> TrackedAgreement:
    agreement, profile = group.agreement, group.profile
    keys = "+".join(sorted(k.replace(":", ".") for k in agreement.party_keys()))
    period = agreement.period
    commitments = merge_commitments(group.rows)
    mentioned = set(profile.pillars) | {c.pillar for c in commitments if c.pillar}
    return TrackedAgreement(
        id=f"{keys}-{period.start}" if period else keys,
        document=group.sources[0],
        sources=group.sources,
        title=group.title,
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
