"""Prompt templates: YAML package data, keys checked by typed models, rendered with Jinja2 StrictUndefined.

A template that names a variable the caller does not pass fails loudly instead of rendering an empty string.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import yaml
from jinja2 import Environment, StrictUndefined, TemplateError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from troly.errors import TrolyError


class PromptError(TrolyError):
    """A prompt file is missing, malformed, or a template could not be rendered."""

    code = "prompt"


class PromptModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PromptSource(PromptModel):
    n: int = Field(ge=1)
    title: str
    date: str | None = None
    text: str


class FewShotExample(PromptModel):
    question: str
    sources: list[PromptSource] = Field(min_length=1)
    answer: str


class AnswerPrompt(PromptModel):
    """`system` and `examples` form the fixed prefix; `user` is a template over `sources` and `question`."""

    version: int = Field(ge=1)
    system: str = Field(min_length=1)
    examples: list[FewShotExample] = Field(default_factory=list)
    user: str = Field(min_length=1)
    instructions: dict[str, str] = Field(
        default_factory=dict,
        description="The closing instruction of the user turn by kind of evidence ('default', 'legal'); the "
        "examples use 'default'.",
    )

    def instruction(self, kind: str) -> str:
        return self.instructions.get(kind) or self.instructions.get("default", "")


_ENV = Environment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)


def render(template: str, **variables: object) -> str:
    """Render a Jinja2 template; an unknown variable raises `PromptError`."""
    try:
        return _ENV.from_string(template).render(**variables)
    except TemplateError as exc:
        raise PromptError(f"Không dựng được prompt: {exc}") from exc


def parse_answer_prompt(text: str, *, where: str = "answer.yaml") -> AnswerPrompt:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PromptError(f"{where}: YAML không hợp lệ: {exc}") from exc
    try:
        return AnswerPrompt.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '.'}: {e['msg']}" for e in exc.errors())
        raise PromptError(f"{where}: prompt không hợp lệ: {problems}") from exc


@lru_cache(maxsize=8)
def load_answer_prompt(name: str = "answer") -> AnswerPrompt:
    """The answer prompt shipped as `prompts/<name>.yaml`."""
    resource = resources.files(__name__).joinpath(f"{name}.yaml")
    if not resource.is_file():
        raise PromptError(f"Không có tệp prompt '{name}.yaml'.")
    return parse_answer_prompt(resource.read_text(encoding="utf-8"), where=f"{name}.yaml")
