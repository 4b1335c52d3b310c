"""What an in-memory fake retriever needs beyond search: the profiles, abbreviations and term counts that
`index.library.Library` derives from its documents, derived the same way here."""

from __future__ import annotations

from collections.abc import Iterable

from index.abbreviations import learn
from index.text import TermDocuments, document_frequencies
from ingest.profile import build_profile
from troly.records import Document, DocumentProfile


class DerivedKnowledge:
    """Mixin: subclasses implement `known_documents()`."""

    def known_documents(self) -> Iterable[Document]:
        raise NotImplementedError

    def profiles(self) -> list[DocumentProfile]:
        return [build_profile(d) for d in self.known_documents()]

    def profile(self, doc_id: str) -> DocumentProfile | None:
        return next((p for p in self.profiles() if p.doc_id == doc_id), None)

    def abbreviations(self) -> dict[str, str]:
        return learn(d.text for d in self.known_documents())

    def term_documents(self) -> TermDocuments:
        return document_frequencies(d.text for d in self.known_documents())
