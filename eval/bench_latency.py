"""Latency of an answer with each lever of issue 14 on and off, side by side, in one run.

    nice -n 0 python -m eval.bench_latency --home /work/runs/h14 [--limit N] [--levers lookup,budget,warm]
    nice -n 0 python -m eval.bench_latency --home /work/runs/h14 --budgets 150,250,350,500   # the budget curve

Answers run in this process over seeds-dev and seeds-tasks-dev (their corpus is ingested into `--home`), one
question at a time through every configuration in turn, so a neighbour's load hits them alike:
- `off`: every lever off; `lookup`: prompt-lookup speculative decoding (`llm.prompt_lookup`); `budget`: the
  evidence budget by question kind (`answer.single_evidence_tokens`, `answer.list_evidence_tokens`); `all`.
- evidence first costs nothing to generate (the plan holds the passage), so every configuration streams it;
  with it off, the first thing a user sees is the first sentence (`first sentence` below).
Time to first sentence is `timings_ms.first_token` (the first checked sentence shown, or a profile answer);
generated tokens/s counts the model's tokens after its first one. Then `--levers warm` starts `troly serve`
over the same home with warm-up of the prompt prefix off and on (and with prompt lookup, when measured): time
to /readyz, the first question after it against the p50 of the next ones, and the server's memory (VmRSS
after the questions, VmHWM its peak). Temperature is 0, so answers are comparable under any load: the table
counts the answers that differ from `off`. The load average is printed beside every table.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SHARED = Path(__file__).resolve().parents[2] / "shared"
SETS = {"seeds-dev": "qa/seeds-dev.jsonl", "seeds-tasks-dev": "qa/seeds-tasks-dev.jsonl"}
CORPUS = "corpus/seeds"
GENERATION_LEVERS = ("lookup", "budget")
# The budget lever when the settings leave it off: the budget curve's candidate (single fact, list).
CANDIDATE_BUDGETS = (200, 350)


def load_average() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


@dataclass
class Generation:
    prompt_s: float
    generate_s: float
    tokens: int


@dataclass
class MeteredModel:
    """A chat model that records, per call, the prompt time (to the first piece), the generation time after
    it and the tokens it generated. Everything else goes to the wrapped model."""

    inner: Any
    calls: list[Generation] = field(default_factory=list)

    @property
    def name(self) -> str:
        return str(self.inner.name)

    @property
    def in_process(self) -> bool:
        return bool(self.inner.in_process)

    def info(self) -> Any:
        return self.inner.info()

    def load(self) -> Any:
        return self.inner.load()

    def warm_prefix(self, messages: Sequence[Any]) -> None:
        self.inner.warm_prefix(messages)

    def stream(
        self, messages: Sequence[Any], *, max_tokens: int, temperature: float = 0.0, stop: Sequence[str] = ()
    ) -> Iterator[str]:
        started = time.perf_counter()
        first: float | None = None
        pieces: list[str] = []
        inner = self.inner.stream(messages, max_tokens=max_tokens, temperature=temperature, stop=stop)
        try:
            for piece in inner:
                if first is None:
                    first = time.perf_counter()
                pieces.append(piece)
                yield piece
        finally:
            inner.close()  # the pipeline stops reading once the answer is complete: free the model now
            ended = time.perf_counter()
            text = "".join(pieces)
            tokens = self.inner.count_tokens(text) if text else 0
            at = first if first is not None else ended
            self.calls.append(Generation(at - started, ended - at, tokens))


def _settings(home: Path, lookup: bool, budgets: tuple[int | None, int | None]) -> Any:
    from troly.settings import Settings

    settings = Settings(home=home)
    settings.llm.prompt_lookup = lookup
    settings.answer.single_evidence_tokens, settings.answer.list_evidence_tokens = budgets
    return settings


def configurations(args: argparse.Namespace) -> dict[str, tuple[bool, tuple[int | None, int | None]]]:
    """name -> (prompt lookup, (single-fact budget, list budget))."""
    if args.budgets:
        return {f"budget={b}": (False, (b, b)) for b in args.budgets}
    chosen = (args.single_budget, args.list_budget)
    configs: dict[str, tuple[bool, tuple[int | None, int | None]]] = {"off": (False, (None, None))}
    if "lookup" in args.levers:
        configs["lookup"] = (True, (None, None))
    if "budget" in args.levers:
        configs["budget"] = (False, chosen)
    if all(lever in args.levers for lever in GENERATION_LEVERS):
        configs["all"] = (True, chosen)
    return configs


def _percentiles(values: Sequence[float]) -> str:
    from eval.scoring import percentile

    if not values:
        return "-"
    return f"{percentile(values, 50) / 1000:.2f} / {percentile(values, 95) / 1000:.2f}"


def run_answers(args: argparse.Namespace) -> dict[str, Any]:
    from assistant.llm.llamacpp_chat_model import LlamaCppChatModel
    from assistant.pipeline import AnswerPipeline
    from assistant.planning import question_kind
    from eval.qa import load_qa
    from eval.runner import corpus_filters, result_from_answer
    from eval.scoring import score_run
    from index.library import Library

    configs = configurations(args)
    base = _settings(args.home, False, (None, None))
    library = Library.open(base)
    corpus = args.shared / CORPUS
    library.ingest([corpus])
    filters = corpus_filters(corpus)
    models: dict[bool, MeteredModel] = {}
    pipelines: dict[str, Any] = {}
    for name, (lookup, budgets) in configs.items():
        settings = _settings(args.home, lookup, budgets)
        if lookup not in models:
            models[lookup] = MeteredModel(LlamaCppChatModel(settings))
            models[lookup].load()
        pipelines[name] = AnswerPipeline(settings, library, models[lookup])
        pipelines[name].warm_up()  # steady state here; the first question after a start is `serve` below
    report: dict[str, Any] = {"configs": {}, "load_before": load_average(), "model_questions": []}
    prefix = next(iter(pipelines.values())).prefix_messages()
    for set_name, relative in SETS.items():
        items = load_qa(args.shared / relative, limit=args.limit)
        planner = next(iter(pipelines.values()))
        kinds = {}
        for item in items:
            plan = planner.plan(item.question, filters=filters)
            kinds[item.id] = question_kind(plan.analysis, plan.scope)
        answers: dict[str, dict[str, Any]] = {name: {} for name in configs}
        calls: dict[str, list[Generation]] = {name: [] for name in configs}
        ran: set[str] = set()
        for item in items:
            for name, pipeline in pipelines.items():
                model = models[configs[name][0]]
                # Back to the fixed prefix alone, as between two unrelated questions of a server: else the
                # next configuration would find this question's evidence already evaluated.
                model.warm_prefix(prefix)
                before = len(model.calls)
                answers[name][item.id] = pipeline.answer(item.question, filters=filters)
                calls[name].extend(model.calls[before:])
                if len(model.calls) > before:
                    ran.add(item.id)
            print(f"{set_name} {item.id} done (load {load_average()})", file=sys.stderr, flush=True)
        report["model_questions"] += [item.question for item in items if item.id in ran]
        reference = next(iter(configs))
        for name in configs:
            rows = {item.id: result_from_answer(item, answers[name][item.id]) for item in items}
            metrics = score_run(items, rows)
            by_kind = {
                kind: score_run([item for item in items if kinds[item.id] == kind], rows)
                for kind in ("single", "list")
            }
            timings = [a.timings_ms for a in answers[name].values()]
            generated = calls[name]
            spent = sum(g.generate_s for g in generated)
            report["configs"].setdefault(name, {})[set_name] = {
                "questions": len(items),
                "evidence": _percentiles([t["evidence"] for t in timings if "evidence" in t]),
                "first_sentence": _percentiles([t["first_token"] for t in timings if "first_token" in t]),
                "total": _percentiles([t["total"] for t in timings]),
                "total_model": _percentiles(
                    [answers[name][i].timings_ms["total"] for i in answers[name] if i in ran]
                ),
                "tokens_per_s": round(sum(max(0, g.tokens - 1) for g in generated) / spent, 1)
                if spent
                else None,
                "prompt_s_p50": round(statistics.median(g.prompt_s for g in generated), 2)
                if generated
                else None,
                "answer_accuracy": metrics.get("answer_accuracy"),
                "citation_accuracy": metrics.get("citation_accuracy"),
                "refusal_accuracy": metrics.get("refusal_accuracy"),
                "by_kind": {
                    kind: {
                        "questions": m["questions"],
                        "answer_accuracy": m.get("answer_accuracy"),
                        "citation_accuracy": m.get("citation_accuracy"),
                        "total": _percentiles(
                            [answers[name][i.id].timings_ms["total"] for i in items if kinds[i.id] == kind]
                        ),
                    }
                    for kind, m in by_kind.items()
                },
                "changed": [i for i in answers[name] if answers[name][i].text != answers[reference][i].text],
            }
    report["load_after"] = load_average()
    return report


# -- `troly serve`: warm start and memory ------------------------------------------------------------------


def _status_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def streamed(httpx: Any, url: str, question: str) -> dict[str, float]:
    """Ask over SSE; ms from the request to the first frame of each event kind (evidence, token, done)."""
    asked = time.perf_counter()
    seen: dict[str, float] = {}
    with httpx.stream("POST", url, json={"question": question}, timeout=600) as response:
        response.raise_for_status()
        for line in response.iter_lines():
            if line.startswith("event:"):
                seen.setdefault(line[len("event:") :].strip(), (time.perf_counter() - asked) * 1000)
    if "done" not in seen:
        raise RuntimeError(f"the stream for {question!r} ended without a done event: {sorted(seen)}")
    return seen


def _p50_s(values: Sequence[float]) -> float | None:
    return round(statistics.median(values) / 1000, 2) if values else None


def serve_run(
    args: argparse.Namespace, name: str, env: dict[str, str], questions: Sequence[str]
) -> dict[str, Any]:
    """Start `troly serve` on `--home`, wait for /readyz, ask `questions` one by one over /v1/ask/stream."""
    import httpx

    port = args.port
    environment = dict(os.environ, TROLY_HOME=str(args.home), TROLY_SERVER__REQUIRE_AUTH="false", **env)
    command = [sys.executable, "-c", "from troly.cli import main; main()", "serve", "--port", str(port)]
    started = time.perf_counter()
    process = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"troly serve ended with {process.returncode}")
            try:
                if httpx.get(f"{url}/readyz", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.perf_counter() - started > 600:
                raise RuntimeError("troly serve was not ready within 600 s")
            time.sleep(0.2)
        ready_s = time.perf_counter() - started
        rss_ready = _status_kb(process.pid, "VmRSS")
        totals, shown = [], []
        for question in questions:
            frames = streamed(httpx, f"{url}/v1/ask/stream", question)
            totals.append(frames["done"])
            shown.append(frames)
        rss, peak = _status_kb(process.pid, "VmRSS"), _status_kb(process.pid, "VmHWM")
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
    rest = statistics.median(totals[1:]) if len(totals) > 1 else None
    return {
        "name": name,
        "ready_s": round(ready_s, 1),
        "first_s": round(totals[0] / 1000, 2),
        "rest_p50_s": round(rest / 1000, 2) if rest else None,
        "first_over_p50": round(totals[0] / rest, 2) if rest else None,
        # What the widget shows, client-side over SSE: the evidence card, then the first checked sentence.
        "sse_evidence_p50_s": _p50_s([f["evidence"] for f in shown if "evidence" in f]),
        "sse_first_token_p50_s": _p50_s([f["token"] for f in shown if "token" in f]),
        "rss_ready_mb": rss_ready // 1024,
        "rss_mb": rss // 1024,
        "peak_mb": peak // 1024,
        "load": load_average(),
    }


def run_serve(args: argparse.Namespace, questions: Sequence[str]) -> list[dict[str, Any]]:
    """Questions the model answers (a profile answer or a refusal before the model would not show the
    prefix's cost)."""
    runs = [("cold", {"TROLY_LLM__WARM_PREFIX": "false"}), ("warm", {"TROLY_LLM__WARM_PREFIX": "true"})]
    if "lookup" in args.levers:
        runs.append(("warm+lookup", {"TROLY_LLM__WARM_PREFIX": "true", "TROLY_LLM__PROMPT_LOOKUP": "true"}))
    results = []
    for name, env in runs:
        result = serve_run(args, name, env, questions)
        print(f"serve {name}: {result}", file=sys.stderr, flush=True)
        results.append(result)
    return results


# -- output ----------------------------------------------------------------------------------------------


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def print_report(report: dict[str, Any]) -> None:
    load = f"load average {report['load_before']} -> {report['load_after']}"
    print(f"\n## Answers in-process ({load}); times in s, p50 / p95\n")
    print(
        "| set | config | evidence | first sentence | full answer | full (model ran) | gen tok/s | prompt s p50 "
        "| answer acc | citation acc | refusals | changed vs off |"
    )
    print("| --- | --- | --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for name, sets in report["configs"].items():
        for set_name, r in sets.items():
            changed = ", ".join(r["changed"]) or "none"
            print(
                f"| {set_name} | {name} | {r['evidence']} | {r['first_sentence']} | {r['total']} | "
                f"{r['total_model']} | {_fmt(r['tokens_per_s'])} | {_fmt(r['prompt_s_p50'])} | "
                f"{_fmt(r['answer_accuracy'])} | {_fmt(r['citation_accuracy'])} | {_fmt(r['refusal_accuracy'])} "
                f"| {changed} |"
            )
    print("\n## By question kind (answer acc / citation acc / full answer p50 / p95)\n")
    print("| set | config | single fact | list, catalogue, several parts |")
    print("| --- | --- | --- | --- |")
    for name, sets in report["configs"].items():
        for set_name, r in sets.items():
            cells = [
                f"n={k['questions']}: {_fmt(k['answer_accuracy'])} / {_fmt(k['citation_accuracy'])} / {k['total']}"
                for k in r["by_kind"].values()
            ]
            print(f"| {set_name} | {name} | {' | '.join(cells)} |")
    if report.get("serve"):
        print("\n## `troly serve`: first question after start, memory\n")
        print(
            "| run | ready after s | first question s | next p50 s | first / p50 | SSE evidence p50 s "
            "| SSE first sentence p50 s | RSS ready MB | RSS MB | peak MB | load |"
        )
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
        for s in report["serve"]:
            print(
                f"| {s['name']} | {s['ready_s']} | {s['first_s']} | {_fmt(s['rest_p50_s'])} | "
                f"{_fmt(s['first_over_p50'])} | {_fmt(s['sse_evidence_p50_s'])} | "
                f"{_fmt(s['sse_first_token_p50_s'])} | {s['rss_ready_mb']} | {s['rss_mb']} | {s['peak_mb']} | {s['load']} |"
            )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--home", type=Path, required=True, help="TROLY_HOME (its `models` may be a symlink)")
    parser.add_argument("--shared", type=Path, default=SHARED, help="the shared corpora and QA sets")
    parser.add_argument("--limit", type=int, default=None, help="first N questions of each set")
    parser.add_argument(
        "--levers",
        type=lambda v: set(v.split(",")),
        default={"lookup", "budget", "warm"},
        help="comma-separated: lookup, budget, warm (default: all)",
    )
    parser.add_argument(
        "--budgets",
        type=lambda v: [int(x) for x in v.split(",")],
        default=None,
        help="instead of the levers: one configuration per evidence budget (the curve)",
    )
    parser.add_argument("--single-budget", type=int, default=None, help="budget lever, single fact")
    parser.add_argument("--list-budget", type=int, default=None, help="budget lever, list or several parts")
    parser.add_argument("--serve-questions", type=int, default=5)
    parser.add_argument("--port", type=int, default=8714)
    parser.add_argument("--json", type=Path, default=None, help="write the figures here too")
    args = parser.parse_args(argv)
    from assistant.threads import configure_threads
    from troly.settings import Settings

    defaults = Settings(home=args.home).answer
    single, listed = CANDIDATE_BUDGETS
    args.single_budget = args.single_budget or defaults.single_evidence_tokens or single
    args.list_budget = args.list_budget or defaults.list_evidence_tokens or listed
    configure_threads(Settings(home=args.home))
    started = time.perf_counter()
    report = run_answers(args)
    if "warm" in args.levers and not args.budgets and report["model_questions"]:
        report["serve"] = run_serve(args, report["model_questions"][: args.serve_questions])
    report["seconds"] = round(time.perf_counter() - started)
    report["budgets"] = {"single": args.single_budget, "list": args.list_budget}
    print_report(report)
    print(
        f"\n{report['seconds']} s in all; budget lever: single {args.single_budget}, list {args.list_budget} tokens"
    )
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
