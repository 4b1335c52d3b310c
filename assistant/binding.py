"""Binding checks: a claim must belong to the subject, the person and the unit it is cited from.

`verify.unsupported_claims` confirms that a number, date or name is written somewhere in the cited passage.
That lets through the 1.5B model's typical slip: a right fact moved to another subject ("VNPT đã trao tặng
TP.HCM 1 tỉ đồng" cited to Quảng Trị's article, whose gift it is). Here, with the cited document's profile:
- numbers and dates must be written in the cited unit (the paragraph, or the clause with its points: a
  point's condition and the penalty in its clause's lead go together), not elsewhere in the document;
- every place the sentence names must be what the cited document is about, or be written in the cited unit;
  a place is not accepted because the question names it;
- every person must be one the document names, with the title the document gives that person ("Phó chủ
  tịch" is never "Chủ tịch"); a name is not accepted because the question holds it.
A sentence that fails is dropped and its failing claims listed in `Answer.unsupported`, as for the claim
checks. `misattributed` applies the place and person checks to a finished answer, for the evaluation.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.injection import looks_like_instruction
from assistant.question import RoleAsk, role_matches
from assistant.verify import CITATION_MARK, missing_names, missing_numbers, name_key, novel_words
from ingest.gazetteer import Gazetteer
from ingest.people import find_people, same_person
from troly.records import DocumentProfile, Unit


@dataclass(frozen=True)
class CitedUnit:
    """What a sentence is cited from: the document's profile and text, and the quote's offsets."""

    profile: DocumentProfile | None
    text: str
    """The whole document text."""
    start: int
    end: int

    def unit(self) -> Unit | None:
        if self.profile is None:
            return None
        unit = self.profile.unit_at(self.start, self.end)
        if unit is not None and unit.kind == "point" and unit.parent is not None:
            parent = next((u for u in self.profile.units if u.id == unit.parent), None)
            return parent or unit
        return unit

    def unit_text(self) -> str:
        """The cited unit's text, without sentences that read as instructions to the assistant (planted text
        is never evidence, so it supports nothing)."""
        from assistant.evidence import split_sentences

        unit = self.unit()
        start, end = (
            (self.start, self.end) if unit is None else (min(unit.start, self.start), max(unit.end, self.end))
        )
        kept = [s.text for s in split_sentences(self.text[start:end]) if not looks_like_instruction(s.text)]
        return " ".join(kept)

    def document_names(self) -> str:
        """The names the document stands behind anywhere: its people, parties and subjects."""
        if self.profile is None:
            return ""
        names = [p.name for p in self.profile.people]
        names += [party.name for a in self.profile.agreements for party in a.parties]
        names += [s.name for s in self.profile.subjects]
        return " ; ".join(names)


def place_problems(sentence: str, cited: CitedUnit) -> list[str]:
    """Places of `sentence` that its cited document is not about and its cited unit does not name."""
    gazetteer = Gazetteer.default()
    subjects = cited.profile.subject_keys() if cited.profile else set()
    in_unit = {m.key for m in gazetteer.find(cited.unit_text())}
    return [m.text for m in gazetteer.find(sentence) if m.key not in subjects and m.key not in in_unit]


def person_problems(sentence: str, cited: CitedUnit) -> list[str]:
    """People of `sentence` its document does not name, or names with another title."""
    problems = []
    known = cited.profile.people if cited.profile else []
    for mention in find_people(sentence):
        same = [p for p in known if same_person(p.name, mention.name)]
        if not same:
            if f" {name_key(mention.name)} " not in f" {name_key(cited.text)} ":
                problems.append(mention.name)
            continue
        title = mention.title
        if title is None:
            continue
        ask = RoleAsk(title.role, title.organisation)
        if not any(role_matches(ask, p.role, p.organisation) for p in same if p.role):
            problems.append(f"{mention.name}, {title.text}")
    return problems


def binding_problems(sentence: str, cited: CitedUnit, question: str, selected: str) -> list[str]:
    """Every claim of `sentence` not bound to its cited unit (see the module docstring). `selected` is the
    text of the evidence sentences the model read from that document: a sentence whose words are mostly new
    to them is dropped too (`verify.novel_words`)."""
    text = CITATION_MARK.sub("", sentence)
    unit_text = cited.unit_text()
    problems = missing_numbers(text, unit_text, question)
    problems += missing_names(text, f"{unit_text} ; {cited.document_names()} ; {selected}")
    novel = novel_words(text, f"{selected} {question}")
    if novel is not None:
        problems.append(novel)
    problems += place_problems(text, cited)
    problems += person_problems(text, cited)
    return list(dict.fromkeys(problems))


def misattributed(sentence: str, cited: CitedUnit) -> list[str]:
    """Places and people of an answer sentence that its cited unit is not about (for the evaluation)."""
    text = CITATION_MARK.sub("", sentence)
    return place_problems(text, cited) + person_problems(text, cited)
