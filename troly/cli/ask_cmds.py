"""`troly ask "câu hỏi"` and `troly chat`: stream the answer, then the sources with their quotes."""

from __future__ import annotations

from typing import Annotated

import typer

from assistant.events import DoneEvent, ErrorEvent, EvidenceEvent, TokenEvent
from assistant.llm.base import ChatMessage
from assistant.pipeline import AnswerPipeline
from troly.cli.app import app, console, settings_from
from troly.errors import TrolyError
from troly.records import Answer, EvidencePassage

_EXIT_WORDS = {"thoat", "thoát", "exit", "quit", "q"}


class EmptyLibraryError(TrolyError):
    code = "empty_library"


def _pipeline(ctx: typer.Context) -> AnswerPipeline:
    # Imported here so `troly --help` stays fast and works without the index or model stack.
    from assistant.llm.factory import build_chat_model
    from index.library import Library

    settings = settings_from(ctx)
    library = Library.open(settings)
    if not library.documents():
        raise EmptyLibraryError("Chưa có tài liệu nào. Hãy nạp tài liệu trước: troly ingest <thư mục>.")
    return AnswerPipeline(settings, library, build_chat_model(settings))


def _stream_answer(
    pipeline: AnswerPipeline, question: str, history: list[ChatMessage], k: int | None, *, live: bool
) -> Answer:
    """Runs one question; with `live`, prints the best evidence passage as soon as it is found, each checked
    sentence as it comes, then the sources."""
    streamed: list[str] = []
    for event in pipeline.stream(question, history, k=k):
        if isinstance(event, EvidenceEvent) and live:
            print_evidence(event.passage)
        elif isinstance(event, TokenEvent) and live:
            streamed.append(event.text)
            console.print(event.text, end="", style="bold", markup=False, highlight=False)
        elif isinstance(event, ErrorEvent):
            if streamed:
                console.print()
            raise TrolyError(event.message, code=event.code)
        elif isinstance(event, DoneEvent):
            if live:
                console.print()
                if "".join(streamed) != event.answer.text:  # the pipeline promises equality; stay safe
                    console.print(event.answer.text, style="bold", markup=False, highlight=False)
                print_sources(event.answer)
            return event.answer
    raise TrolyError("Câu trả lời bị ngắt giữa chừng.", code="answer_failed")


def print_evidence(passage: EvidencePassage) -> None:
    """The passage the answer will most likely rest on, shown while the model writes."""
    dated = f" ({passage.date})" if passage.date else ""
    unit = f" — {passage.unit}" if passage.unit else ""
    console.print("Nguồn liên quan:", style="underline")
    console.print(f"{passage.title or passage.source}{dated}: {passage.source}{unit}", markup=False)
    console.print(f"    “{passage.quote}”", style="italic dim", markup=False, highlight=False)


def print_sources(answer: Answer) -> None:
    """Each cited source with its quote, and what the checks dropped."""
    if answer.citations:
        console.print("Nguồn:", style="underline")
    for citation in answer.citations:
        dated = f" ({citation.date})" if citation.date else ""
        unit = f" — {citation.unit}" if citation.unit else ""
        console.print(
            f"[{citation.n}] {citation.title or citation.source}{dated}: {citation.source}{unit}",
            markup=False,
        )
        console.print(f"    “{citation.quote}”", style="italic", markup=False, highlight=False)
    if answer.unsupported:
        dropped = ", ".join(answer.unsupported)
        console.print(f"Đã bỏ các chi tiết không có trong tài liệu: {dropped}", style="yellow", markup=False)


@app.command("ask")
def ask(
    ctx: typer.Context,
    question: Annotated[str, typer.Argument(help="Câu hỏi bằng tiếng Việt.")],
    as_json: Annotated[bool, typer.Option("--json", help="In câu trả lời dạng JSON (Answer).")] = False,
    k: Annotated[int | None, typer.Option("-k", "--k", min=1, max=100, help="Số đoạn tài liệu tìm.")] = None,
) -> None:
    """Hỏi một câu; câu trả lời kèm nguồn và trích dẫn."""
    pipeline = _pipeline(ctx)
    answer = _stream_answer(pipeline, question, [], k, live=not as_json)
    if as_json:
        typer.echo(answer.model_dump_json(indent=2))


@app.command("chat")
def chat(
    ctx: typer.Context,
    k: Annotated[int | None, typer.Option("-k", "--k", min=1, max=100, help="Số đoạn tài liệu tìm.")] = None,
) -> None:
    """Trò chuyện: hỏi tiếp được (ví dụ "còn Quảng Trị thì sao?"). Gõ 'thoát' hoặc Ctrl-D để dừng."""
    pipeline = _pipeline(ctx)
    history: list[ChatMessage] = []
    while True:
        try:
            question = console.input("[bold green]Bạn:[/bold green] ").strip()
        except EOFError:
            console.print()
            return
        if not question:
            continue
        if question.lower() in _EXIT_WORDS:
            return
        try:
            answer = _stream_answer(pipeline, question, history, k, live=True)
        except TrolyError as exc:  # one bad turn does not end the conversation
            console.print(f"Lỗi ({exc.code}): {exc.message}", style="red", markup=False)
            continue
        history += [
            ChatMessage(role="user", content=question),
            ChatMessage(role="assistant", content=answer.text),
        ]
