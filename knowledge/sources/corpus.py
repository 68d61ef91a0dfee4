"""The curated evidence corpus shipped in knowledge/corpus: Markdown with YAML front matter."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Literal, get_args

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from core.errors import ConfigError
from knowledge.sources.front_matter import split_front_matter

CORPUS_DIR = Path(__file__).resolve().parents[1] / "corpus"
Language = Literal["de", "en"]
Kind = Literal["principle", "audience", "vaccine-fact", "recommendation"]
LANGUAGES: tuple[str, ...] = get_args(Language)  # the languages of the shipped corpus
UPLOAD_KIND = "document"  # the kind of every document an office adds
KINDS: tuple[str, ...] = (*get_args(Kind), UPLOAD_KIND)  # every kind a source can have


class SourceMeta(BaseModel):
    """Front matter of one corpus document."""

    model_config = ConfigDict(extra="forbid")

    id: str
    title: str
    language: Language
    source_org: str
    source_url: str
    date: dt.date
    topics: list[str]
    vaccines: list[str]
    audiences: list[str]
    kind: Kind
    review_by: dt.date | None = None  # by when to check for a newer version of the source
    # Whose recommendation or data it is: an ISO 3166 country code ("DE", "US"), or "INT" for an
    # international body (WHO). Recommendations and vaccine facts say it; a message map marks a
    # fact that can only cite another country's source (docs/maps.md, "from_abroad").
    country: str | None = Field(default=None, pattern=r"^(?:[A-Z]{2}|INT)$")

    @field_validator("source_url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("source_url must be an http(s) address")
        return value

    @model_validator(mode="after")
    def _country_of_recommendations(self) -> SourceMeta:
        if self.kind in ("recommendation", "vaccine-fact") and self.country is None:
            raise ValueError(f"a {self.kind} names its country (country: DE, US or INT)")
        return self

    @model_validator(mode="after")
    def _review_after_date(self) -> SourceMeta:
        if self.review_by is not None and self.review_by < self.date:
            raise ValueError(f"review_by {self.review_by} is before the document's date")
        return self


class SourceDoc(BaseModel):
    """A corpus document: its metadata and Markdown body."""

    meta: SourceMeta
    body: str


def read_document(path: Path) -> SourceDoc:
    """Parse one corpus file, naming the file and field on error."""
    try:
        header, body = split_front_matter(path.read_text(encoding="utf-8"))
        meta = SourceMeta.model_validate(header)
    except (ValueError, yaml.YAMLError, ValidationError) as exc:
        raise ConfigError(f"Corpus document {path.name} is invalid: {exc}") from exc
    if meta.id != path.stem:
        raise ConfigError(
            f"Corpus document {path.name} has id '{meta.id}'; it must be '{path.stem}'."
        )
    return SourceDoc(meta=meta, body=body)


def read_corpus(folder: Path = CORPUS_DIR) -> list[SourceDoc]:
    """Every document in the shipped corpus, sorted by id."""
    return [read_document(path) for path in sorted(folder.glob("*.md"))]


@lru_cache(maxsize=1)
def corpus_countries() -> dict[str, str | None]:
    """Each shipped document's country ("DE", "US", "INT" for WHO) by id; None where it has
    none (principles, audience research)."""
    return {doc.meta.id: doc.meta.country for doc in read_corpus()}
