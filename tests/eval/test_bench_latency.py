"""eval.bench_latency's own parts: the metered model and the configurations the levers make."""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Sequence
from typing import Any

from eval.bench_latency import MeteredModel, configurations


class CountingModel:
    name = "counting"

    def __init__(self) -> None:
        self.closed = False

    def stream(self, messages: Sequence[Any], **_: Any) -> Iterator[str]:
        try:
            yield from ("Một ", "hai ", "ba.")
        finally:
            self.closed = True

    def count_tokens(self, text: str) -> int:
        return len(text.split())


def test_metered_model_records_a_call_and_frees_the_model_when_the_reader_stops() -> None:
    inner = CountingModel()
    metered = MeteredModel(inner)
    stream = metered.stream([], max_tokens=8)
    assert next(iter(stream)) == "Một "
    stream.close()  # type: ignore[attr-defined]  # the pipeline stops once the answer is complete
    assert inner.closed
    (call,) = metered.calls
    assert call.tokens == 1 and call.prompt_s >= 0 and call.generate_s >= 0
    assert "".join(metered.stream([], max_tokens=8)) == "Một hai ba."
    assert metered.calls[-1].tokens == 3


def test_each_lever_is_a_configuration_beside_off() -> None:
    args = argparse.Namespace(
        levers={"lookup", "budget", "warm"}, budgets=None, single_budget=200, list_budget=500
    )
    assert configurations(args) == {
        "off": (False, (None, None)),
        "lookup": (True, (None, None)),
        "budget": (False, (200, 500)),
        "all": (True, (200, 500)),
    }
    args.levers = {"budget"}
    assert list(configurations(args)) == ["off", "budget"]
    args.budgets = [150, 350]
    assert configurations(args) == {"budget=150": (False, (150, 150)), "budget=350": (False, (350, 350))}
