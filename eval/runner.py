"""`troly eval run`: ingest a corpus into the current index, run every question, write the results JSONL.

The retrieval-only mode needs no LLM: each result line carries `retrieved` (sources relative to the corpus
folder), `answer: ""`, `refused: false` and the `retrieve` timing (EVAL-FORMAT.md). Searches are limited to
the corpus folder, so other documents in the same TROLY_HOME never leak into the scores.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant.llm.base import ChatModel
from assistant.pipeline import AnswerPipeline
from eval.attribution import misattributed_sentences
from eval.baseline import BaselinePipeline
from eval.qa import CitedSource, QAItem, ResultLine, RetrievedSource, load_qa, load_results
from eval.report import ReportFiles, write_report
from eval.scoring import score_with_subsets
from eval.summary import (
    ModelRef,
    Summary,
    embedder_ref,
    llm_ref,
    now_iso,
    resume_summary,
    run_config,
    summary_path,
    write_summary,
)
from index.base import Embedder
from index.ingestion import ProgressCallback
from index.library import IngestReport, Library, SearchFilters
from troly.errors import TrolyError
from troly.records import Answer
from troly.settings import Settings

QuestionCallback = Callable[[int, int], None]
"""(questions done, total)."""


class EvalInputError(TrolyError):
    code = "eval_input"


@dataclass
class RetrievalRun:
    items: list[QAItem]
    rows: list[ResultLine]
    ingest: IngestReport
    metrics: dict[str, object]


def corpus_filters(corpus: Path) -> SearchFilters:
    return SearchFilters(path_prefix=str(corpus.resolve()) + os.sep)


def prepare_corpus(library: Library, corpus: Path, progress: ProgressCallback | None = None) -> IngestReport:
    """Incremental ingest of the corpus folder (unchanged files are skipped, so re-runs are cheap)."""
    if not corpus.is_dir():
        raise EvalInputError(f"Không tìm thấy thư mục tài liệu: {corpus}")
    return library.ingest([corpus], progress=progress)


def retrieval_result(item: QAItem, library: Library, k: int, filters: SearchFilters) -> ResultLine:
    started = time.perf_counter()
    hits = library.search(item.question, k, filters)
    elapsed_ms = (time.perf_counter() - started) * 1000.0
    retrieved = [RetrievedSource(source=h.chunk.doc_id, chunk_id=h.chunk.id, score=h.score) for h in hits]
    return ResultLine(
        id=item.id, question=item.question, retrieved=retrieved, timings_ms={"retrieve": elapsed_ms}
    )


def run_retrieval(
    library: Library,
    qa: Path,
    corpus: Path,
    out: Path,
    *,
    k: int = 5,
    ks: Sequence[int] = (1, 3, 5),
    ingest_progress: ProgressCallback | None = None,
    on_question: QuestionCallback | None = None,
) -> RetrievalRun:
    """Ingest, search every question, write `out` line by line, and score hit@k / MRR."""
    items = load_qa(qa)
    report = prepare_corpus(library, corpus, ingest_progress)
    filters = corpus_filters(corpus)
    out.parent.mkdir(parents=True, exist_ok=True)
    rows: list[ResultLine] = []
    with out.open("w", encoding="utf-8") as handle:
        for done, item in enumerate(items, start=1):
            row = retrieval_result(item, library, k, filters)
            handle.write(row.to_json() + "\n")
            handle.flush()
            rows.append(row)
            if on_question:
                on_question(done, len(items))
    metrics = score_with_subsets(items, {r.id: r for r in rows}, ks=ks, answers=False)
    return RetrievalRun(items, rows, report, metrics)


# -- full runs: answers, baseline, resume, summary, report ---------------------------------------------


@dataclass(frozen=True)
class EvalOptions:
    qa: Path
    corpus: Path
    out: Path
    retrieval_only: bool = False
    baseline: bool = False
    k: int = 5
    limit: int | None = None
    fresh: bool = False
    report: Path | None = None


@dataclass
class EvalRun:
    items: list[QAItem]
    rows: list[ResultLine]
    ingest: IngestReport
    summary: Summary
    summary_file: Path
    resumed: int
    """Questions found already answered in the results file and not run again."""
    baseline_rows: list[ResultLine] | None = None
    report: ReportFiles | None = None

    @property
    def metrics(self) -> dict[str, object]:
        return self.summary.metrics


AnswerFn = Callable[[QAItem], ResultLine]


def baseline_path(out: Path) -> Path:
    """`RESULTS.jsonl` -> `RESULTS.baseline.jsonl` beside it."""
    return out.with_name(f"{out.stem}.baseline{out.suffix or '.jsonl'}")


def result_from_answer(item: QAItem, answer: Answer) -> ResultLine:
    """An `Answer` record as one results line (sources named relative to the ingested corpus folder)."""
    return ResultLine(
        id=item.id,
        question=item.question,
        answer=answer.text,
        refused=answer.refused,
        citations=[
            CitedSource(n=c.n, source=c.source, chunk_id=c.chunk_id, quote=c.quote) for c in answer.citations
        ],
        retrieved=[
            RetrievedSource(source=h.chunk.doc_id, chunk_id=h.chunk.id, score=h.score)
            for h in answer.retrieved
        ],
        timings_ms=dict(answer.timings_ms),
        unsupported=list(answer.unsupported),
    )


def finished_rows(path: Path) -> list[ResultLine]:
    """Rows already in a results file; a torn last line (the run was killed mid-write) is cut off first."""
    if not path.is_file():
        return []
    rows = load_results(path)
    text = path.read_text(encoding="utf-8")
    if text and len([line for line in text.splitlines() if line.strip()]) != len(rows):
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text("".join(row.to_json() + "\n" for row in rows), encoding="utf-8")
        tmp.replace(path)
    return rows


def run_questions(
    items: Sequence[QAItem],
    out: Path,
    answer: AnswerFn,
    *,
    on_question: QuestionCallback | None = None,
) -> tuple[list[ResultLine], int]:
    """Answers the questions not yet in `out`, appending and flushing one line per question; returns every
    row of `items` (earlier ones included) and how many were already there."""
    done = {row.id: row for row in finished_rows(out)}
    resumed = sum(1 for item in items if item.id in done)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("a", encoding="utf-8") as handle:
        for position, item in enumerate(items, start=1):
            if item.id not in done:
                row = answer(item)
                handle.write(row.to_json() + "\n")
                handle.flush()
                done[item.id] = row
            if on_question:
                on_question(position, len(items))
    return [done[item.id] for item in items], resumed


def _pipeline_answer(pipeline: AnswerPipeline, library: Library, filters: SearchFilters) -> AnswerFn:
    def answer(item: QAItem) -> ResultLine:
        record = pipeline.answer(item.question, filters=filters)
        return _with_attribution(result_from_answer(item, record), record, library)

    return answer


def _with_attribution(row: ResultLine, answer: Answer, library: Library) -> ResultLine:
    found = misattributed_sentences(answer, library.profile, library.document)
    return row.model_copy(update={"misattributed": found}) if found else row


def _retrieval_answer(library: Library, k: int, filters: SearchFilters) -> AnswerFn:
    return lambda item: retrieval_result(item, library, k, filters)


def _baseline_answer(baseline: BaselinePipeline, retrieval_only: bool, library: Library) -> AnswerFn:
    def answer(item: QAItem) -> ResultLine:
        if retrieval_only:
            started = time.perf_counter()
            hits = baseline.search(item.question)
            timings = {"retrieve": (time.perf_counter() - started) * 1000.0}
            record = Answer(id=item.id, question=item.question, text="", refused=False, retrieved=hits)
            return result_from_answer(item, record.model_copy(update={"timings_ms": timings}))
        record = baseline.answer(item.question, id=item.id)
        return _with_attribution(result_from_answer(item, record), record, library)

    return answer


def run_eval(
    settings: Settings,
    options: EvalOptions,
    *,
    library: Library | None = None,
    chat_model: ChatModel | None = None,
    embedder: Embedder | None = None,
    ingest_progress: ProgressCallback | None = None,
    on_question: QuestionCallback | None = None,
) -> EvalRun:
    """`troly eval run`: ingest, answer (or only retrieve) every question, resume an interrupted run, score,
    write `RESULTS.summary.json` and, when asked, the baseline's results and the report."""
    items = load_qa(options.qa, limit=options.limit)
    if not options.corpus.is_dir():
        raise EvalInputError(f"Không tìm thấy thư mục tài liệu: {options.corpus}")
    library = library or Library.open(settings, embedder)
    if options.baseline and embedder is None and not library.uses_vectors:
        raise EvalInputError(
            "Pipeline so sánh (--baseline) tìm bằng vector nên cần bộ tạo vector; "
            "hãy bỏ TROLY_EMBEDDING__BACKEND=none hoặc chạy không có --baseline."
        )
    filters = corpus_filters(options.corpus)
    pipeline: AnswerPipeline | None = None
    if options.retrieval_only:
        answer = _retrieval_answer(library, options.k, filters)
    else:
        if chat_model is None:
            from assistant.llm.factory import build_chat_model

            chat_model = build_chat_model(settings)
        answer_settings = settings.model_copy(
            update={"retrieval": settings.retrieval.model_copy(update={"k": options.k})}
        )
        pipeline = AnswerPipeline(answer_settings, library, chat_model)
        answer = _pipeline_answer(pipeline, library, filters)
    config = run_config(
        settings,
        mode="retrieval-only" if options.retrieval_only else "full",
        qa_file=options.qa,
        corpus=options.corpus,
        k=options.k,
        models=_model_refs(settings, library, None if options.retrieval_only else chat_model),
        prompt_version=f"answer.yaml v{pipeline.prompt.version}" if pipeline else "",
        limit=options.limit,
    )
    # Checked before ingesting: a run that cannot resume must fail before minutes of embedding.
    summary = resume_summary(options.out, config, fresh=options.fresh)
    summary_file = summary_path(options.out)
    report = prepare_corpus(library, options.corpus, ingest_progress)
    write_summary(summary_file, summary)
    rows, resumed = run_questions(items, options.out, answer, on_question=on_question)
    by_id = {row.id: row for row in rows}
    answers = not options.retrieval_only
    metrics = score_with_subsets(items, by_id, answers=answers)
    baseline_rows: list[ResultLine] | None = None
    if options.baseline:
        baseline_rows = _run_baseline(
            settings, options, items, library, embedder or library.embedder(), chat_model
        )
        baseline_metrics = score_with_subsets(items, {r.id: r for r in baseline_rows}, answers=answers)
        summary = summary.model_copy(update={"baseline": baseline_metrics})
    summary = summary.model_copy(update={"metrics": metrics, "finished_at": now_iso(), "complete": True})
    write_summary(summary_file, summary)
    report_files = None
    if options.report is not None:
        report_files = write_report(options.report, summary, items, by_id, chunk_text=_chunk_text(library))
    return EvalRun(items, rows, report, summary, summary_file, resumed, baseline_rows, report_files)


def _run_baseline(
    settings: Settings,
    options: EvalOptions,
    items: Sequence[QAItem],
    library: Library,
    embedder: Embedder,
    chat_model: ChatModel | None,
) -> list[ResultLine]:
    """The naive pipeline over the same questions, same embedder and same LLM, into RESULTS.baseline.jsonl."""
    out = baseline_path(options.out)
    if options.fresh:
        out.unlink(missing_ok=True)
    baseline = BaselinePipeline.from_folder(
        options.corpus,
        embedder,
        chat_model or _no_chat_model(),
        k=options.k,
        words=settings.chunking.target_words,
    )
    rows, _ = run_questions(items, out, _baseline_answer(baseline, options.retrieval_only, library))
    return rows


def _model_refs(settings: Settings, library: Library, chat_model: ChatModel | None) -> list[ModelRef]:
    refs = []
    if library.uses_vectors:
        refs.append(embedder_ref(settings, library.embedder().name))
    if chat_model is not None:
        ref = llm_ref(settings) if chat_model.info().backend == settings.llm.backend else None
        refs.append(ref or ModelRef(role="llm", backend=chat_model.info().backend, name=chat_model.name))
    return refs


def _chunk_text(library: Library) -> Callable[[str], str | None]:
    def text(chunk_id: str) -> str | None:
        chunk = library.chunk(chunk_id)
        return None if chunk is None else chunk.text

    return text


def _no_chat_model() -> ChatModel:
    from assistant.llm.scripted import ScriptedChatModel

    # Retrieval-only baseline: the LLM is never called.
    return ScriptedChatModel(name="none")
