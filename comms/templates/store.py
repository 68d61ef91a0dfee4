"""Versioned prompt templates: every change is a new version in SQLite, never an overwrite."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from comms.drafting.template import parse_template, shipped_ids, shipped_text, template_path
from comms.templates.validation import Problem, validate
from comms.versions import (
    VersionTable,
    note,
    person,
    pick,
    unified_diff,
    write_override,
)
from core.clock import now
from core.database import DatabaseError, location
from core.errors import TemplateError
from core.settings import Settings

SHIPPED_AUTHOR = "Clarion"


@dataclass(frozen=True)
class Version:
    """One saved state of a template. Version 0 is the text in effect before any change."""

    template_id: str
    number: int
    text: str
    content_hash: str
    author: str
    comment: str
    action: str  # shipped, save, revert, reset, import
    created_at: str


class TemplateStoreError(DatabaseError):
    """The template database cannot be read or written."""


class InvalidTemplate(TemplateError):
    """A template failed validation; nothing was saved."""

    def __init__(self, template_id: str, problems: list[Problem]) -> None:
        self.problems = problems
        listed = "; ".join(map(str, problems))
        super().__init__(f"Template '{template_id}' was not saved: {listed}")


class TemplateConflict(TemplateError):
    """Someone else saved the template after this editor started; nothing was saved."""

    def __init__(self, base_version: int, theirs: Version, diff: str) -> None:
        self.base_version = base_version
        self.theirs = theirs
        self.diff = diff
        super().__init__(
            f"Template '{theirs.template_id}' changed while you were editing: you started from "
            f"version {base_version}, but version {theirs.number} by {theirs.author} "
            f"({theirs.created_at}) is now current. Nothing was saved; compare and save again."
        )


def content_hash(text: str) -> str:
    """The template's version hash (as recorded on messages); a raw hash if it does not parse."""
    try:
        return parse_template(text).content_hash
    except TemplateError:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


class TemplateStore:
    """The versions of an office's templates in data_dir/clarion.db, plus the override files."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.path = location(settings)
        self.override_dir = settings.data_dir / "templates"
        self.table = VersionTable(
            self.path,
            "template_versions",
            "template_id",
            Version,
            "the template database",
            TemplateStoreError,
        )

    def current(self, template_id: str) -> Version:
        """The version in effect now."""
        _known(template_id)
        with self.table.session(write=False) as db:
            return self.table.latest(db, template_id) or self._baseline(template_id)

    def version(self, template_id: str, number: int) -> Version:
        """One version by number."""
        return pick(self.history(template_id), number, f"Template '{template_id}'", TemplateError)

    def history(self, template_id: str) -> list[Version]:
        """Every version, newest first."""
        _known(template_id)
        with self.table.session(write=False) as db:
            return self.table.rows(db, template_id) or [self._baseline(template_id)]

    def summaries(self) -> list[Version]:
        """The current version of every template Clarion ships."""
        return [self.current(template_id) for template_id in shipped_ids()]

    def diff(self, template_id: str, old: int, new: int) -> str:
        """Unified diff from version `old` to version `new`."""
        before, after = self.version(template_id, old), self.version(template_id, new)
        return unified_diff(
            before.text, after.text, f"{template_id} v{old}", f"{template_id} v{new}"
        )

    def save(
        self,
        template_id: str,
        text: str,
        *,
        author: str,
        comment: str = "",
        base_version: int | None,
        action: str = "save",
    ) -> Version:
        """Validate and store text as the new current version.

        base_version is the version the editor started from: if another version was saved
        meanwhile, TemplateConflict is raised and nothing is stored. None skips that check.
        """
        problems = validate(text, expected_id=template_id)
        if problems:
            raise InvalidTemplate(template_id, problems)
        author, comment = person(author, TemplateError), note(comment)
        with self.table.session(write=True) as db:
            current = self.table.latest(db, template_id) or self._baseline(template_id)
            if base_version is not None and base_version != current.number:
                theirs = f"{template_id} v{current.number} ({current.author})"
                diff = unified_diff(current.text, text, theirs, "your edit")
                raise TemplateConflict(base_version, current, diff)
            if action in ("save", "import") and text == current.text:
                raise TemplateError(
                    f"Nothing to save: the text is the same as version {current.number}."
                )
            new = Version(
                template_id,
                current.number + 1,
                text,
                content_hash(text),
                author,
                comment,
                action,
                now(),
            )
            self.table.append(db, current, new)
            # Written inside the transaction, so files change in the order versions commit.
            write_override(self.override_dir, template_id, text)
        return new

    def revert(
        self,
        template_id: str,
        number: int,
        *,
        author: str,
        comment: str = "",
        base_version: int | None = None,
    ) -> Version:
        """Make an old version current again, as a new version."""
        old = self.version(template_id, number)
        return self.save(
            template_id,
            old.text,
            author=author,
            comment=comment.strip() or f"revert to version {number}",
            base_version=base_version,
            action="revert",
        )

    def reset(
        self, template_id: str, *, author: str, comment: str = "", base_version: int | None = None
    ) -> Version:
        """Make the shipped default current again, as a new version."""
        return self.save(
            template_id,
            shipped_text(template_id),
            author=author,
            comment=comment.strip() or "reset to the shipped default",
            base_version=base_version,
            action="reset",
        )

    def _baseline(self, template_id: str) -> Version:
        """Version 0: the shipped default, or an override file put in place by hand."""
        path = template_path(template_id, self.settings)
        text = path.read_text(encoding="utf-8")
        shipped = text == shipped_text(template_id)
        comment = "shipped default" if shipped else f"override file found in {path.parent}"
        return Version(
            template_id, 0, text, content_hash(text), SHIPPED_AUTHOR, comment, "shipped", ""
        )


def _known(template_id: str) -> None:
    if template_id not in shipped_ids():
        known = ", ".join(shipped_ids())
        raise TemplateError(f"No template '{template_id}'; choose one of: {known}.")
