"""YAML front matter at the top of a Markdown text: the corpus's metadata, and an upload's."""

from __future__ import annotations

import datetime as dt

import yaml


def split_front_matter(text: str) -> tuple[dict[str, object], str]:
    """Return (front matter, body) of a Markdown text; empty front matter if there is none."""
    if not text.startswith("---"):
        return {}, text
    _, header, body = text.split("---", 2)
    loaded = yaml.safe_load(header) or {}
    if not isinstance(loaded, dict):
        raise ValueError("front matter is not a mapping")
    return loaded, body.lstrip("\n")


def parse_date(value: object) -> dt.date | None:
    """A calendar date from YAML (a date, or a "YYYY-MM-DD" text); None for none or empty."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"'{value}' is not a date (YYYY-MM-DD)") from None
