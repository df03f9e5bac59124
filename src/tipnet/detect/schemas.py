"""Request and response models of the public check."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tipnet.detect.catalogue import ContentKind

MAX_CHECK_CHARS = 50_000
Language = Literal["en", "es", "fr", "pt"]
Level = Literal["no_signs", "some_signs", "strong_signs"]


class CheckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(
        min_length=1,
        max_length=MAX_CHECK_CHARS,
        description="The job offer, ad, profile description or message to check.",
    )
    kind: ContentKind | None = Field(
        default=None, description="What the text is; without it every warning sign is looked for."
    )
    language: Language = Field(default="en", description="Language of the answer.")

    @field_validator("text")
    @classmethod
    def _has_words(cls, text: str) -> str:
        if not text.strip():
            raise ValueError("the text is empty: paste the offer, ad, profile or message")
        if "\x00" in text:
            raise ValueError("the text contains NUL characters; paste text, not a file")
        return text


class Match(BaseModel):
    start: int = Field(description="Offset of the first character, in Unicode code points.")
    end: int
    text: str


class Sign(BaseModel):
    id: str
    name: str = Field(description="The warning sign, in plain language.")
    why: str = Field(description="Why it matters, and the evidence for it.")
    matches: list[Match]


class HelpContact(BaseModel):
    name: str
    contact: str


class CheckResult(BaseModel):
    score: float = Field(ge=0, le=1, description="Combined weight of the warning signs found.")
    level: Level
    summary: str
    signs: list[Sign]
    help: list[HelpContact]
    notice: str
    catalogue_version: str
