"""What the `maps` and `templates` commands share: the options of a change, and reading, writing
and printing a document's text."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable
from pathlib import Path

from core.errors import InputError


def add_change_options(
    changing: Iterable[argparse.ArgumentParser], *, comment: bool = True
) -> None:
    """A required --author on each subcommand that makes a version, and a --comment for it."""
    for parser in changing:
        parser.add_argument("--author", required=True)
        if comment:
            parser.add_argument("--comment", default="")


def read_document(path: Path, read: Callable[[bytes], str], refused: type[Exception]) -> str:
    """A document's file as `read` takes it (the app's rules for its bytes); a file that cannot
    be read, or that `read` refuses with `refused`, is an InputError naming the file."""
    try:
        return read(path.read_bytes())
    except OSError as exc:
        raise InputError(f"Cannot read {path}: {exc.strerror or exc}") from exc
    except refused as exc:
        raise InputError(f"Cannot read {path}: {exc}") from exc


def write_document(text: str, path: Path | None) -> None:
    """Write a document's text to `path`, or print it where there is no path."""
    if path is None:
        print_text(text)
        return
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"Cannot write {path}: {exc.strerror or exc}") from exc


def print_text(text: str) -> None:
    """Print a document's text as stored, ending in exactly one newline it may already have."""
    print(text, end="" if text.endswith("\n") else "\n")
