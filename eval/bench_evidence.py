"""What the answer pipeline decides before the model runs, measured without a model: scope, profile answers,
evidence, refusals. Fast (no generation), so every choice of scoping and evidence is tried on whole dev sets.

    python -m eval.bench_evidence --qa ../shared/qa/seeds-tasks-dev.jsonl --corpus ../shared/corpus/seeds
    python -m eval.bench_evidence --all          # every dev set under --shared

Per set it prints:
- answered from profiles: questions the profiles answer without the model, and how many of those are right;
- evidence recall: answerable questions left to the model whose evidence holds a gold answer (the most the
  model can get right), and whose evidence cites a gold source;
- refused before the model: answerable (false refusals) and unanswerable (right refusals);
- evidence tokens p50 (the prompt length sets the time to the first token).
Settings come from the environment as usual (e.g. TROLY_ANSWER__EVIDENCE_TOKENS=250).
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant.evidence import estimate_tokens
from assistant.llm.scripted import ScriptedChatModel
from assistant.pipeline import AnswerPipeline
from eval.qa import QAItem, load_qa
from eval.runner import corpus_filters, prepare_corpus
from eval.scoring import contains, is_correct
from index.library import Library
from troly.settings import Settings

SETS: tuple[tuple[str, str], ...] = (
    ("seeds-dev", "seeds"),
    ("seeds-tasks-dev", "seeds"),
    ("alqac-dev", "alqac"),
    ("alqac-dev-noaccent", "alqac"),
    ("virhe4qa-dev", "virhe4qa"),
    ("virhe4qa-dev-noaccent", "virhe4qa"),
)


@dataclass
class Outcome:
    item: QAItem
    stated: str | None = None
    """The text of a profile answer ("" for a profile refusal)."""
    refused: bool = False
    evidence: str = ""
    sources: tuple[str, ...] = ()
    tokens: int = 0
    support: float | None = None
    """The lowest support among the parts left to the model (what `answer.min_evidence_score` is set against)."""
    reason: str = ""


def _gold_in(item: QAItem, text: str) -> bool:
    if item.all_of and not all(contains(text, g) for g in item.all_of):
        return False
    return not item.answers or any(contains(text, g) for g in item.answers)


def plan_outcome(pipeline: AnswerPipeline, item: QAItem, library: Library, corpus: Path) -> Outcome:
    plan = pipeline.plan(item.question, filters=corpus_filters(corpus))
    outcome = Outcome(item)
    if not plan.scope.parts:
        outcome.refused = True
        return outcome
    stated: list[str] = []
    texts: list[str] = []
    sources: list[str] = []
    refusals = 0
    for part in plan.parts:
        found = part.profile_answer
        if found is not None and (found.statements or found.refusal):
            stated += [s.text for s in found.statements]
            refusals += 0 if found.statements else 1
            continue
        if part.evidence is not None:
            support = part.evidence.support
            outcome.support = support if outcome.support is None else min(outcome.support, support)
        if part.refusal is not None or part.evidence is None:
            refusals += 1
            outcome.reason = part.refusal or ""
            continue
        for source in part.evidence.sources:
            sources.append(source.doc_id)
            texts += [s.text for s in source.sentences]
    outcome.stated = " ".join(stated) if stated or (refusals and not texts) else None
    outcome.refused = refusals == len(plan.parts)
    outcome.evidence = " ".join(texts)
    outcome.sources = tuple(sources)
    outcome.tokens = sum(estimate_tokens(t) for t in texts)
    return outcome


def report(name: str, outcomes: Sequence[Outcome]) -> dict[str, float | int | None]:
    answerable = [o for o in outcomes if o.item.answerable]
    unanswerable = [o for o in outcomes if not o.item.answerable]
    stated = [o for o in answerable if o.stated]
    model = [o for o in answerable if not o.refused and not o.stated]
    recall = sum(_gold_in(o.item, o.evidence) for o in model)
    gold_source = sum(
        any(Path(s).name in {Path(g).name for g in o.item.sources} for s in o.sources) for o in model
    )
    tokens = [o.tokens for o in model]
    figures: dict[str, float | int | None] = {
        "questions": len(outcomes),
        "stated": len(stated),
        "stated_right": sum(is_correct(o.item, o.stated or "", False) for o in stated),
        "to_model": len(model),
        "evidence_recall": recall / len(model) if model else None,
        "gold_source_in_evidence": gold_source / len(model) if model else None,
        "false_refusals": sum(o.refused for o in answerable),
        "answerable": len(answerable),
        "refused_unanswerable": sum(o.refused for o in unanswerable),
        "unanswerable": len(unanswerable),
        "tokens_p50": statistics.median(tokens) if tokens else None,
    }
    print(
        f"{name}: {figures['questions']} questions; profiles answered {figures['stated']} "
        f"({figures['stated_right']} right); to the model {figures['to_model']}: evidence holds the gold answer "
        f"{_share(figures['evidence_recall'])}, a gold source {_share(figures['gold_source_in_evidence'])}, "
        f"tokens p50 {figures['tokens_p50']}; refused before the model: {figures['false_refusals']}/"
        f"{figures['answerable']} answerable, {figures['refused_unanswerable']}/{figures['unanswerable']} "
        "unanswerable",
        flush=True,
    )
    return figures


def _share(value: float | int | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def run_set(
    settings: Settings, qa: Path, corpus: Path, *, verbose: bool = False
) -> dict[str, float | int | None]:
    library = Library.open(settings)
    prepare_corpus(library, corpus)
    pipeline = AnswerPipeline(settings, library, ScriptedChatModel())
    outcomes = [plan_outcome(pipeline, item, library, corpus) for item in load_qa(qa)]
    if verbose:
        for o in outcomes:
            state = "refused" if o.refused else ("stated" if o.stated else "model")
            gold = (
                ""
                if not o.item.answerable or o.refused or o.stated
                else ("gold-in" if _gold_in(o.item, o.evidence) else "GOLD-MISSING")
            )
            support = "" if o.support is None else f"{o.support:.2f}"
            print(f"  {o.item.id}\t{state}\t{gold}\tsupport={support}\t{o.stated or o.reason}")
    return report(qa.stem, outcomes)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--qa", type=Path)
    parser.add_argument("--corpus", type=Path)
    parser.add_argument("--all", action="store_true", help="every dev set under --shared")
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared")
    parser.add_argument("--home", type=Path, default=Path("/tmp/troly-bench-evidence"))
    parser.add_argument("--verbose", "-v", action="store_true")
    args = parser.parse_args(argv)
    pairs = (
        [(args.shared / "qa" / f"{q}.jsonl", args.shared / "corpus" / c) for q, c in SETS]
        if args.all
        else [(args.qa, args.corpus)]
    )
    for qa, corpus in pairs:
        settings = Settings(home=args.home / corpus.name)
        run_set(settings, qa, corpus, verbose=args.verbose)


if __name__ == "__main__":
    main()
