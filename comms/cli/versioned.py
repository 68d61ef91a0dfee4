"""What the `maps` and `templates` commands share: the options of a change and printing a
document's text."""

from __future__ import annotations

import argparse
from collections.abc import Iterable


def add_change_options(
    changing: Iterable[argparse.ArgumentParser], *, comment: bool = True
) -> None:
    """A required --author on each subcommand that makes a version, and a --comment for it."""
    for parser in changing:
        parser.add_argument("--author", required=True)
        if comment:
            parser.add_argument("--comment", default="")


def print_text(text: str) -> None:
    """Print a document's text as stored, ending in exactly one newline it may already have."""
    print(text, end="" if text.endswith("\n") else "\n")
