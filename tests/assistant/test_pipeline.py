"""Wiring of AnswerPipeline with a scripted model and an in-memory retriever (the real paths are in
test_pipeline_real.py)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from assistant.condense import condense
from assistant.events import (
    AcceptedEvent,
    CitationsEvent,
    DoneEvent,
    ErrorEvent,
    EvidenceEvent,
    RetrievedEvent,
    TokenEvent,
)
from assistant.llm.base import ChatMessage, ChatModelError
from assistant.llm.scripted import ScriptedChatModel
from assistant.pipeline import AnswerPipeline, QuestionError
from assistant.refusal import REFUSAL_TEXT
from ingest.vietnamese import fold, normalize
from tests.fakes.knowledge import DerivedKnowledge
from troly.records import Chunk, Document, SearchHit
from troly.settings import Settings

DOCS = {
    "hoa-an.txt": (
        "Xã Hòa An tổng kết chuyển đổi số",
        "2024-01-05",
        "Ngày 18/12/2023, UBND xã Hòa An tổ chức hội nghị tổng kết chuyển đổi số. "
        "Ông Lê Văn Minh, Chủ tịch UBND xã Hòa An, chủ trì hội nghị.\n\n"
        "Trong năm 2023, xã đã lắp đặt 1.320 camera an ninh và mở 12 điểm hỗ trợ dịch vụ công trực tuyến. "
        "Tỷ lệ hồ sơ trực tuyến của xã đạt 4,2 lần so với năm trước.",
    ),
    "tan-phu.txt": (
        "Huyện Tân Phú và VNPT ký thỏa thuận",
        "2024-03-12",
        "Ngày 6/9/2024, UBND huyện Tân Phú và VNPT ký thỏa thuận hợp tác chuyển đổi số giai đoạn 2024-2028. "
        "Lễ ký kết diễn ra tại hội trường huyện Tân Phú.\n\n"
        "Theo thỏa thuận, VNPT hỗ trợ huyện xây dựng kho dữ liệu dùng chung "
        "và trung tâm điều hành thông minh.",
    ),
}


def make_document(doc_id: str) -> Document:
    title, date, text = DOCS[doc_id]
    return Document(id=doc_id, title=title, date=date, content_hash="0" * 64, text=normalize(text))


class FakeRetriever(DerivedKnowledge):
    """Chunks are paragraphs; ranking is folded syllable overlap. Records every query it was asked."""

    def known_documents(self) -> list[Document]:
        return list(self.documents.values())

    def __init__(self, documents: Sequence[Document]) -> None:
        self.documents = {d.id: d for d in documents}
        self.queries: list[str] = []
        self.restored: dict[str, str] = {}
        self.chunks: list[Chunk] = []
        for doc in documents:
            start = 0
            for ordinal, part in enumerate(doc.text.split("\n\n")):
                begin = doc.text.index(part, start)
                self.chunks.append(
                    Chunk(
                        id=f"{doc.id}#{ordinal}",
                        doc_id=doc.id,
                        ordinal=ordinal,
                        text=part,
                        start=begin,
                        end=begin + len(part),
                        title=doc.title,
                        date=doc.date,
                    )
                )
                start = begin + len(part)

    def search(self, query: str, k: int | None = None, filters: object = None) -> list[SearchHit]:
        self.queries.append(query)
        words = set(fold(query).split())
        scored = [(len(words & set(fold(c.text).split())), c) for c in self.chunks]
        ranked = [c for s, c in sorted(scored, key=lambda t: -t[0]) if s > 0][: k or 5]
        return [SearchHit(chunk=c, score=1.0 / (i + 1), rank=i) for i, c in enumerate(ranked)]

    def document(self, doc_id: str) -> Document | None:
        return self.documents.get(doc_id)

    def chunk(self, chunk_id: str) -> Chunk | None:
        return next((c for c in self.chunks if c.id == chunk_id), None)

    def restore_accents(self, text: str) -> str:
        return self.restored.get(text, text)

    def corpus_names(self, text: str) -> list[str]:
        return []


def _reading_every_document(settings: Settings) -> Settings:
    """Evidence from every retrieved document, however far ahead the first one ranks."""
    answer = settings.answer.model_copy(update={"lead_document_ratio": 0.0})
    return settings.model_copy(update={"answer": answer})


@pytest.fixture
def retriever() -> FakeRetriever:
    return FakeRetriever([make_document(d) for d in DOCS])


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path)


def test_event_order_citations_and_timings(settings: Settings, retriever: FakeRetriever) -> None:
    model = ScriptedChatModel(["Ông Lê Văn Minh, Chủ tịch UBND xã Hòa An, chủ trì hội nghị [2]."])
    pipeline = AnswerPipeline(settings, retriever, model)
    events = list(pipeline.stream("Ai chủ trì hội nghị tổng kết chuyển đổi số của xã Hòa An?"))
    kinds = [type(e) for e in events]
    assert kinds[:3] == [RetrievedEvent, EvidenceEvent, AcceptedEvent]
    assert set(kinds[3:-2]) == {TokenEvent}
    assert kinds[-2:] == [CitationsEvent, DoneEvent]
    done = events[-1]
    assert isinstance(done, DoneEvent)
    answer = done.answer
    assert not answer.refused
    assert answer.text.endswith("[1].")  # the model's [2] does not exist: renumbered to the aligned source
    assert "Lê Văn Minh" in answer.text
    citation = answer.citations[0]
    assert citation.source == "hoa-an.txt" and citation.n == 1
    assert citation.quote == retriever.documents["hoa-an.txt"].text[citation.start : citation.end]
    assert "Lê Văn Minh" in citation.quote
    assert citation.title == "Xã Hòa An tổng kết chuyển đổi số" and citation.date == "2024-01-05"
    assert set(answer.timings_ms) == {"retrieve", "evidence", "first_token", "generate", "total"}
    timings = answer.timings_ms
    assert timings["total"] >= timings["first_token"] >= timings["evidence"] >= timings["retrieve"]
    assert answer.model == "scripted"
    assert "".join(e.text for e in events if isinstance(e, TokenEvent)) == answer.text
    # The fixed prefix comes first: system prompt then the few-shot turns; the evidence is in the last turn.
    messages = model.history[0].messages
    assert messages[0].role == "system" and messages[-1].role == "user"
    assert "<tai_lieu>" in messages[-1].content and "Lê Văn Minh" in messages[-1].content


def test_answer_without_citation_is_aligned(settings: Settings, retriever: FakeRetriever) -> None:
    model = ScriptedChatModel(["Xã đã lắp đặt 1320 camera an ninh"])
    answer = AnswerPipeline(settings, retriever, model).answer("Xã Hòa An lắp đặt bao nhiêu camera an ninh?")
    # The number is shown as the source writes it ("1.320"), so the answer reads like its quote.
    assert answer.text == "Xã đã lắp đặt 1.320 camera an ninh [1]."
    assert [c.source for c in answer.citations] == ["hoa-an.txt"]
    assert "1.320 camera" in answer.citations[0].quote
    assert answer.unsupported == []


def test_unsupported_number_is_dropped_and_listed(settings: Settings, retriever: FakeRetriever) -> None:
    model = ScriptedChatModel(
        ["Xã đã lắp đặt 1.320 camera an ninh [1]. Xã mở 15 điểm hỗ trợ dịch vụ công trực tuyến [1]."]
    )
    answer = AnswerPipeline(settings, retriever, model).answer("Xã Hòa An lắp đặt bao nhiêu camera an ninh?")
    assert not answer.refused
    assert "15" not in answer.text and "1.320 camera" in answer.text
    assert answer.unsupported == ["15"]


def test_only_unsupported_claims_means_refusal(settings: Settings, retriever: FakeRetriever) -> None:
    # The second reply answers the retry on the best-supported source alone, and invents again.
    model = ScriptedChatModel(
        ["Hội nghị tổng kết diễn ra ngày 19/12/2023 [1].", "Hội nghị diễn ra ngày 20/12/2023 [1]."]
    )
    # No place named, and both documents read (not only the leading one): there is a best source to retry on.
    both = _reading_every_document(settings)
    answer = AnswerPipeline(both, retriever, model).answer("Hội nghị tổng kết diễn ra ngày nào?")
    assert answer.refused and answer.text == REFUSAL_TEXT
    assert answer.citations == [] and answer.unsupported == ["19/12/2023", "20/12/2023"]
    assert len(model.history) == 2


def test_unsupported_claim_gets_one_retry_on_the_best_source(
    settings: Settings, retriever: FakeRetriever
) -> None:
    question = "Hội nghị tổng kết diễn ra ngày nào?"
    model = ScriptedChatModel(["Hội nghị tổng kết diễn ra ngày 19/12/2023 [1].", "RETRY"])
    pipeline = AnswerPipeline(_reading_every_document(settings), retriever, model)
    events = list(pipeline.stream(question))
    assert len(model.history) == 2
    retry_prompt = model.history[1].messages[-1].content
    first_prompt = model.history[0].messages[-1].content
    # The retry shows the model fewer sources: only the one holding the best supporting sentence.
    assert retry_prompt.count("[1]") >= 1 and "[2]" not in retry_prompt
    assert "[2]" in first_prompt
    assert events[-1].type == "done"


def test_equivalent_date_forms_are_supported(settings: Settings, retriever: FakeRetriever) -> None:
    model = ScriptedChatModel(["Lễ ký kết diễn ra ngày 06/09/2024 [1]."])
    answer = AnswerPipeline(settings, retriever, model).answer(
        "VNPT ký thỏa thuận với huyện Tân Phú ngày nào?"
    )
    assert not answer.refused and answer.unsupported == []
    assert answer.citations[0].source == "tan-phu.txt"


def test_refuses_before_calling_the_model(settings: Settings, retriever: FakeRetriever) -> None:
    model = ScriptedChatModel()  # any call would raise: nothing is enqueued
    events = list(AnswerPipeline(settings, retriever, model).stream("Thủ tục cấp giấy phép xây dựng nhà ở?"))
    assert model.history == []
    done = events[-1]
    assert isinstance(done, DoneEvent) and done.answer.refused
    assert [e.text for e in events if isinstance(e, TokenEvent)] == [REFUSAL_TEXT]
    assert done.answer.timings_ms["generate"] == 0.0


def test_refuses_when_nothing_is_retrieved(settings: Settings) -> None:
    model = ScriptedChatModel()
    answer = AnswerPipeline(settings, FakeRetriever([]), model).answer("Xã Hòa An có bao nhiêu camera?")
    assert answer.refused and answer.retrieved == [] and model.history == []


def test_model_saying_it_does_not_know_is_a_refusal(settings: Settings, retriever: FakeRetriever) -> None:
    model = ScriptedChatModel(["Tài liệu không đề cập đến số camera của xã Hòa An."])
    answer = AnswerPipeline(settings, retriever, model).answer("Xã Hòa An lắp đặt bao nhiêu camera an ninh?")
    assert answer.refused and answer.text == REFUSAL_TEXT and answer.citations == []


def test_echo_and_boilerplate_are_stripped(settings: Settings, retriever: FakeRetriever) -> None:
    question = "Lễ ký kết giữa huyện Tân Phú và VNPT diễn ra ở đâu?"
    model = ScriptedChatModel(
        [f"{question}\nTrả lời: Dựa trên tài liệu, lễ ký kết diễn ra tại hội trường huyện."]
    )
    answer = AnswerPipeline(settings, retriever, model).answer(question)
    assert answer.text == "Lễ ký kết diễn ra tại hội trường huyện [1]."


def test_follow_up_is_condensed_before_retrieval(settings: Settings, retriever: FakeRetriever) -> None:
    model = ScriptedChatModel(["Lễ ký kết diễn ra tại hội trường huyện Tân Phú [1]."])
    history = [
        ChatMessage(role="user", content="Lễ ký kết giữa VNPT và xã Hòa An diễn ra ở đâu?"),
        ChatMessage(role="assistant", content=REFUSAL_TEXT),
    ]
    answer = AnswerPipeline(settings, retriever, model).answer("còn Tân Phú thì sao?", history)
    # Every search (the scoped one, and the look outside the scope) is for the condensed question.
    assert set(retriever.queries) == {"Lễ ký kết giữa VNPT và xã Tân Phú diễn ra ở đâu?"}
    assert answer.question == "còn Tân Phú thì sao?" and not answer.refused


def test_empty_or_too_long_question_is_a_clear_error(settings: Settings, retriever: FakeRetriever) -> None:
    pipeline = AnswerPipeline(settings, retriever, ScriptedChatModel())
    with pytest.raises(QuestionError) as empty:
        pipeline.stream("   ")
    assert empty.value.code == "bad_question"
    with pytest.raises(QuestionError):
        pipeline.answer("x" * (settings.server.max_question_chars + 1))


def test_backend_failure_ends_with_error_event(settings: Settings, retriever: FakeRetriever) -> None:
    model = ScriptedChatModel()
    model.enqueue_error(ChatModelError("máy chủ không phản hồi"))
    events = list(AnswerPipeline(settings, retriever, model).stream("Xã Hòa An lắp đặt bao nhiêu camera?"))
    assert isinstance(events[-1], ErrorEvent) and events[-1].code == "llm_error"


def test_chained_follow_ups_keep_the_first_intent() -> None:
    history = [
        ChatMessage(role="user", content="Lễ ký kết giữa VNPT và tỉnh Cần Thơ diễn ra ở đâu?"),
        ChatMessage(role="assistant", content="…"),
        ChatMessage(role="user", content="còn Quảng Trị thì sao?"),
        ChatMessage(role="assistant", content="…"),
    ]
    assert condense("Còn tỉnh Thanh Hóa?", history) == "Lễ ký kết giữa VNPT và tỉnh Thanh Hóa diễn ra ở đâu?"
    assert condense("Ai chủ trì hội nghị?", history) == "Ai chủ trì hội nghị?"
    assert condense("còn Huế thì sao?", []) == "còn Huế thì sao?"


def test_support_threshold_comes_from_settings(tmp_path: Path, retriever: FakeRetriever) -> None:
    settings = Settings(home=tmp_path)
    assert AnswerPipeline(settings, retriever, ScriptedChatModel()).min_support == 0.4
    settings.answer.min_evidence_score = 0.0
    model = ScriptedChatModel(["Không rõ."])
    pipeline = AnswerPipeline(settings, retriever, model)
    assert pipeline.min_support == 0.0
    pipeline.answer("Thủ tục cấp giấy phép xây dựng nhà ở?")
    assert len(model.history) == 1  # no longer refused before the model


def test_only_checked_sentences_are_streamed(settings: Settings, retriever: FakeRetriever) -> None:
    model = ScriptedChatModel(
        ["Xã đã lắp đặt 1.320 camera an ninh. Xã mở 15 điểm hỗ trợ dịch vụ công. Xã mở 12 điểm hỗ trợ [1]."]
    )
    events = list(
        AnswerPipeline(settings, retriever, model).stream("Xã Hòa An lắp đặt bao nhiêu camera an ninh?")
    )
    tokens = [e.text for e in events if isinstance(e, TokenEvent)]
    assert tokens == ["Xã đã lắp đặt 1.320 camera an ninh [1].", " Xã mở 12 điểm hỗ trợ [1]."]
    done = events[-1]
    assert isinstance(done, DoneEvent) and done.answer.text == "".join(tokens)
    assert done.answer.unsupported == ["15"]


def test_an_echo_of_the_question_is_not_an_answer(settings: Settings, retriever: FakeRetriever) -> None:
    model = ScriptedChatModel(["Hội nghị tổng kết ở xã Hòa An [1].", "Hội nghị tổng kết diễn ra [1]."])
    answer = AnswerPipeline(settings, retriever, model).answer(
        "Hội nghị tổng kết ở xã Hòa An diễn ra ngày nào?"
    )
    assert answer.refused and answer.citations == []


def test_the_chunk_next_to_a_retrieved_one_can_answer(
    settings: Settings, retriever: FakeRetriever, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Retrieval found only the first paragraph of the article; the number is in the next one.
    first = next(c for c in retriever.chunks if c.id == "hoa-an.txt#0")
    monkeypatch.setattr(retriever, "search", lambda *_a, **_k: [SearchHit(chunk=first, score=1.0, rank=1)])
    question = "Xã Hòa An lắp đặt bao nhiêu camera an ninh?"
    model = ScriptedChatModel(["Xã đã lắp đặt 1.320 camera an ninh [1]."])
    answer = AnswerPipeline(settings, retriever, model).answer(question)
    assert not answer.refused and answer.text == "Xã đã lắp đặt 1.320 camera an ninh [1]."
    assert answer.citations[0].chunk_id == "hoa-an.txt#1" and "1.320 camera" in answer.citations[0].quote
    assert [h.chunk.id for h in answer.retrieved] == ["hoa-an.txt#0"]  # what retrieval found, unchanged
    # Without neighbours no sentence holds the number asked for: refused before the model is called.
    alone = settings.model_copy(update={"answer": settings.answer.model_copy(update={"neighbour_chunks": 0})})
    model = ScriptedChatModel(["Xã đã lắp đặt 1.320 camera an ninh [1]."])
    assert AnswerPipeline(alone, retriever, model).answer(question).refused and not model.history
    # Only the top-ranked document is read wider: a lower-ranked one brings no unretrieved sentence.
    other = next(c for c in retriever.chunks if c.id == "tan-phu.txt#0")
    hits = [SearchHit(chunk=other, score=1.0, rank=1), SearchHit(chunk=first, score=0.5, rank=2)]
    monkeypatch.setattr(retriever, "search", lambda *_a, **_k: hits)
    model = ScriptedChatModel(["Xã đã lắp đặt 1.320 camera an ninh [1]."])
    # Named, "xã Hòa An" would scope the answer to its own article; unnamed, both documents compete.
    answer = AnswerPipeline(settings, retriever, model).answer("Xã lắp đặt bao nhiêu camera an ninh?")
    assert all("1.320" not in call.messages[-1].content for call in model.history)
    assert answer.refused


def test_the_model_reads_an_unaccented_question_with_restored_diacritics(
    settings: Settings, retriever: FakeRetriever
) -> None:
    typed = "xa Hoa An lap dat bao nhieu camera an ninh"
    retriever.restored[typed] = "xã Hòa An lắp đặt bao nhiêu camera an ninh"
    model = ScriptedChatModel(["Xã đã lắp đặt 1.320 camera an ninh [1]."])
    answer = AnswerPipeline(settings, retriever, model).answer(typed)
    prompt = model.history[0].messages[-1].content
    assert "Câu hỏi: xã Hòa An lắp đặt bao nhiêu camera an ninh" in prompt and typed not in prompt
    assert answer.question == typed and set(retriever.queries) == {typed}  # retrieval folds accents itself
    assert answer.text == "Xã đã lắp đặt 1.320 camera an ninh [1]."


def test_a_follow_up_that_refers_back_gets_the_previous_subject() -> None:
    history = [
        ChatMessage(role="user", content="Chủ tịch UBND TP Cần Thơ tại lễ ký kết với VNPT là ai?"),
        ChatMessage(role="assistant", content="Chủ tịch UBND TP Cần Thơ Trần Văn Lâu [1]."),
    ]
    assert condense("Ông ấy cho biết dân số bao nhiêu?", history) == (
        "Ông ấy cho biết dân số bao nhiêu (UBND TP Cần Thơ)?"
    )
    assert condense("o do co bao nhieu xa", history) == "o do co bao nhieu xa (UBND TP Cần Thơ)?"
    # A question naming its own subject, or not pointing back, is left alone.
    assert condense("Ở Quảng Trị có bao nhiêu xã?", history) == "Ở Quảng Trị có bao nhiêu xã?"
    assert condense("Dân số là bao nhiêu?", history) == "Dân số là bao nhiêu?"
    # In a chain, the subject is the latest one: Quảng Trị after "còn Quảng Trị thì sao?".
    chain = [
        ChatMessage(role="user", content="Lễ ký kết giữa VNPT và tỉnh Cần Thơ diễn ra ở đâu?"),
        ChatMessage(role="user", content="còn Quảng Trị thì sao?"),
        ChatMessage(role="user", content="Tỉnh này có bao nhiêu xã?"),
    ]
    assert condense("Thỏa thuận đó ký ngày nào?", chain) == "Thỏa thuận đó ký ngày nào (Quảng Trị)?"
    # A previous question typed in lower case lends no names: nothing is guessed.
    lower = [ChatMessage(role="user", content="le ky ket voi can tho o dau")]
    assert condense("o do co bao nhieu xa?", lower) == "o do co bao nhieu xa?"


def test_follow_ups_find_names_typed_in_lower_case_with_the_corpus_names() -> None:
    def known(text: str) -> list[str]:
        return [n for n in ("can tho", "quang tri") if n in text]

    history = [ChatMessage(role="user", content="le ky ket voi can tho o dau")]
    assert condense("con quang tri thi sao", history, known) == "le ky ket voi quang tri o dau"
    assert condense("o do co bao nhieu xa", history, known) == "o do co bao nhieu xa (can tho)?"
    assert condense("o do co bao nhieu xa", history) == "o do co bao nhieu xa"  # without them: unchanged


def test_a_legal_answer_cites_one_article(tmp_path: Path) -> None:
    """A statute question is about one article: once a sentence is kept, one citing another article is not."""
    first = normalize(
        "Tội làm giả hồ sơ\n\n1. Người nào làm giả hồ sơ thì bị phạt tiền từ 10.000.000 đồng.\n\n"
        "2. Phạm tội có tổ chức thì bị phạt tù từ 01 năm đến 03 năm."
    )
    second = normalize(
        "Tội sửa chữa hồ sơ\n\n1. Người nào sửa chữa hồ sơ thì bị phạt tiền từ 5.000.000 đồng.\n\n"
        "2. Phạm tội có tổ chức thì bị phạt tù từ 02 năm đến 04 năm."
    )
    docs = [
        Document(id="a.txt", title="Tội làm giả hồ sơ", content_hash="0", text=first),
        Document(id="b.txt", title="Tội sửa chữa hồ sơ", content_hash="0", text=second),
    ]
    model = ScriptedChatModel(
        [
            "Người làm giả hồ sơ bị phạt tiền từ 10.000.000 đồng [1]. Người sửa chữa hồ sơ bị phạt tiền từ 5.000.000 đồng [2]."
        ]
    )
    settings = _reading_every_document(Settings(home=tmp_path))
    answer = AnswerPipeline(settings, FakeRetriever(docs), model).answer(
        "Làm giả hoặc sửa chữa hồ sơ bị phạt tiền bao nhiêu?"
    )
    assert {c.source for c in answer.citations} == {"a.txt"}
    assert "5.000.000" not in answer.text and "10.000.000" in answer.text
    # Statute evidence is to be restated word for word (the legal instruction closes the user turn).
    assert "chép đúng nguyên văn phần quy định" in model.history[0].messages[-1].content


def test_a_legal_answer_restating_another_laws_provision_is_tried_again_on_the_matching_one(
    tmp_path: Path,
) -> None:
    """Both laws give the same body a duty; the question's words are those of one clause. Restating the other
    law's clause is dropped, and the answer is taken again from the top-ranked document alone."""
    attacks = normalize(
        "Phòng, chống tấn công mạng\n\n1. Chủ quản hệ thống thông tin có trách nhiệm áp dụng biện pháp kỹ thuật "
        "để ngăn chặn hành vi tấn công mạng.\n\n2. Cơ quan chức năng phối hợp xử lý tấn công mạng."
    )
    malware = normalize(
        "Phòng, chống phát tán mã độc\n\n1. Chủ quản hệ thống thông tin thường xuyên rà soát hệ thống nhằm loại "
        "trừ nguy cơ phát tán mã độc.\n\n2. Khi phát hiện mã độc phải báo ngay cho cơ quan chức năng."
    )
    docs = [
        Document(id="a.txt", title="Phòng, chống tấn công mạng", content_hash="0", text=attacks),
        Document(id="b.txt", title="Phòng, chống phát tán mã độc", content_hash="0", text=malware),
    ]
    neighbour = "Chủ quản hệ thống thông tin có trách nhiệm áp dụng biện pháp kỹ thuật để ngăn chặn hành vi tấn công mạng [1]."
    model = ScriptedChatModel(
        [
            neighbour,
            "Chủ quản hệ thống thông tin thường xuyên rà soát hệ thống nhằm loại trừ nguy cơ phát tán mã độc [1].",
        ]
    )
    settings = _reading_every_document(Settings(home=tmp_path))
    answer = AnswerPipeline(settings, FakeRetriever(docs), model).answer(
        "Chủ quản hệ thống thông tin phải làm gì để giảm nguy cơ phát tán mã độc?"
    )
    assert not answer.refused and {c.source for c in answer.citations} == {"b.txt"}
    assert "rà soát" in answer.text and "tấn công" not in answer.text
    assert any("tấn công mạng" in u for u in answer.unsupported)
    assert len(model.history) == 2  # the second try read the matching law only
    assert "tấn công" not in model.history[1].messages[-1].content


def test_an_answer_that_only_echoes_the_question_is_replaced_by_the_sentence_that_answers_it(
    settings: Settings, retriever: FakeRetriever
) -> None:
    """The small model restates "… bao nhiêu …" without the figure; the evidence sentence holding it is
    quoted as written, with its citation. Turned off, the echo is refused as before."""
    question = "Xã Hòa An lắp đặt bao nhiêu camera an ninh?"
    echo = "Nếu xã Hòa An lắp đặt bao nhiêu camera an ninh, thì xã Hòa An lắp đặt bao nhiêu camera [1]."
    answer = AnswerPipeline(settings, retriever, ScriptedChatModel([echo])).answer(question)
    assert not answer.refused and "1.320 camera an ninh" in answer.text
    (citation,) = answer.citations
    document = retriever.documents[citation.source]
    assert citation.quote == document.text[citation.start : citation.end]
    assert answer.text.rstrip(".").removesuffix(" [1]") in citation.quote
    off = settings.model_copy(
        update={"answer": settings.answer.model_copy(update={"echo_quote_support": None})}
    )
    refused = AnswerPipeline(off, retriever, ScriptedChatModel([echo])).answer(question)
    assert refused.refused and "1.320" not in refused.text


class CountingModel(ScriptedChatModel):
    """Counts the pieces the pipeline pulled from the stream, and whether the stream was closed."""

    def __init__(self, reply: str) -> None:
        super().__init__([reply])
        self.pulled = 0
        self.closed = False

    def stream(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int,
        temperature: float = 0.0,
        stop: Sequence[str] = (),
    ) -> Iterator[str]:
        inner = super().stream(messages, max_tokens=max_tokens, temperature=temperature, stop=stop)

        def counted() -> Iterator[str]:
            try:
                for piece in inner:
                    self.pulled += 1
                    yield piece
            finally:
                self.closed = True

        return counted()


def test_generation_stops_once_the_answer_is_complete(settings: Settings, retriever: FakeRetriever) -> None:
    sentences = ["Xã đã lắp đặt 1.320 camera an ninh [1]."] * 3 + ["Câu thừa số bốn.", "Câu thừa số năm."]
    reply = " ".join(sentences) + " " + "thêm " * 50
    model = CountingModel(reply)
    answer = AnswerPipeline(settings, retriever, model).answer("Xã Hòa An lắp đặt bao nhiêu camera an ninh?")
    assert not answer.refused and model.closed
    # Three sentences are all an answer may hold: the model is not read to the end of its reply.
    assert model.pulled < len(reply.split())


def test_the_best_evidence_passage_comes_before_the_first_sentence(
    settings: Settings, retriever: FakeRetriever
) -> None:
    model = ScriptedChatModel(["Xã đã lắp đặt 1.320 camera an ninh [1]."])
    question = "Xã Hòa An lắp đặt bao nhiêu camera an ninh?"
    events = list(AnswerPipeline(settings, retriever, model).stream(question))
    shown = next(e for e in events if isinstance(e, EvidenceEvent))
    assert events.index(shown) < next(i for i, e in enumerate(events) if isinstance(e, TokenEvent))
    passage = shown.passage
    document = retriever.documents["hoa-an.txt"]
    assert passage.source == "hoa-an.txt" and passage.chunk_id.startswith("hoa-an.txt#")
    assert passage.quote == document.text[passage.start : passage.end]
    assert "1.320 camera an ninh" in passage.quote
    assert (passage.title, passage.date) == (document.title, document.date)
    done = events[-1]
    assert isinstance(done, DoneEvent) and done.answer.evidence == passage


def _kinds(events: list[object]) -> list[str]:
    return [type(e).__name__ for e in events if not isinstance(e, RetrievedEvent)]


def test_a_model_in_this_process_accepts_right_after_the_evidence(
    settings: Settings, retriever: FakeRetriever
) -> None:
    """The stream may open with the evidence card: nothing after admission decides the status."""
    model = ScriptedChatModel(["Xã đã lắp đặt 1.320 camera an ninh [1]."])
    events = list(
        AnswerPipeline(settings, retriever, model).stream("Xã Hòa An lắp đặt bao nhiêu camera an ninh?")
    )
    kinds = _kinds(events)
    assert kinds[:3] == ["EvidenceEvent", "AcceptedEvent", "TokenEvent"] and kinds.count("AcceptedEvent") == 1


def test_a_model_server_accepts_with_its_first_piece_and_not_when_it_refuses(
    settings: Settings, retriever: FakeRetriever
) -> None:
    question = "Xã Hòa An lắp đặt bao nhiêu camera an ninh?"
    served = ScriptedChatModel(["Xã đã lắp đặt 1.320 camera an ninh [1]."], in_process=False)
    events = list(AnswerPipeline(settings, retriever, served).stream(question))
    assert _kinds(events)[:3] == ["EvidenceEvent", "AcceptedEvent", "TokenEvent"]
    busy = ScriptedChatModel(in_process=False)
    busy.enqueue_error(ChatModelError("server busy"))
    refused = list(AnswerPipeline(settings, retriever, busy).stream(question))
    assert not any(isinstance(e, AcceptedEvent) for e in refused) and isinstance(refused[-1], ErrorEvent)


def test_no_evidence_passage_for_a_refusal_or_when_turned_off(
    settings: Settings, retriever: FakeRetriever
) -> None:
    pipeline = AnswerPipeline(settings, retriever, ScriptedChatModel())
    refused = list(pipeline.stream("Thủ tục cấp giấy phép xây dựng nhà ở?"))
    assert not any(isinstance(e, EvidenceEvent) for e in refused)
    off = settings.model_copy(update={"answer": settings.answer.model_copy(update={"evidence_first": False})})
    model = ScriptedChatModel(["Xã đã lắp đặt 1.320 camera an ninh [1]."])
    answer = AnswerPipeline(off, retriever, model).answer("Xã Hòa An lắp đặt bao nhiêu camera an ninh?")
    assert not answer.refused and answer.evidence is None and "evidence" not in answer.timings_ms


class PrefixModel(ScriptedChatModel):
    """A scripted model that, like llama.cpp, can evaluate a prompt's fixed prefix ahead of time."""

    def __init__(self) -> None:
        super().__init__(["Xã đã lắp đặt 1.320 camera an ninh [1]."])
        self.warmed: list[list[ChatMessage]] = []

    def warm_prefix(self, messages: Sequence[ChatMessage]) -> None:
        self.warmed.append(list(messages))


def test_warm_up_searches_and_hands_the_fixed_prefix_to_the_model(
    settings: Settings, retriever: FakeRetriever
) -> None:
    model = PrefixModel()
    pipeline = AnswerPipeline(settings, retriever, model)
    pipeline.warm_up()
    assert retriever.queries, "one search ran"
    assert not model.history, "no answer was generated"
    (warmed,) = model.warmed
    real = list(pipeline.stream("Xã Hòa An lắp đặt bao nhiêu camera an ninh?"))
    assert isinstance(real[-1], DoneEvent)
    asked = model.history[0].messages
    # Every message but the last (the evidence and the question) is the prefix warm-up evaluated.
    assert warmed[:-1] == asked[:-1] and warmed[0].role == "system"
    AnswerPipeline(settings, retriever, ScriptedChatModel()).warm_up()  # a model without a prefix step
