"""The check report: what each check found and the score, typed all the way to the views and
the JSON that the CLI prints and the pack manifest holds."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Severity = Literal["error", "warning"]


class SentenceVerdict(BaseModel):
    """One sentence a check refused: where it stands in the checked text, and why.

    `start`/`end` are character offsets into the text the check ran on, so a view can
    highlight the sentence in place; `rule` names the class of defect ("supported.unbacked",
    "never_say.no_doctor") and `reason`/`reason_key`/`reason_args` work as in LintItem.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str
    check: str
    rule: str
    reason: str
    reason_key: str = ""
    reason_args: dict[str, str] = Field(default_factory=dict)


class LintItem(BaseModel):
    """One rule's verdict. `points` of `max_points` go into the score; 0 of 0 is not scored.

    `reason` is English (JSON, CLI); `reason_key` and `reason_args` give the same reason in the
    interface language through the templates of catalog/checks.yaml (comms.checks.texts).
    Both default to empty, so reports stored before they existed still load.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    passed: bool
    severity: Severity
    reason: str
    points: int
    max_points: int
    reason_key: str = ""  # template keys, "+"-joined when the reason has several parts
    reason_args: dict[str, str] = Field(default_factory=dict)
    sentences: tuple[SentenceVerdict, ...] = ()  # the sentences this check refused, if any


class LintReport(BaseModel):
    """Every item and the score: points earned as a percentage of points possible."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    items: tuple[LintItem, ...]
    score: int = Field(ge=0, le=100)

    @property
    def ok(self) -> bool:
        """No failed error (warnings may remain)."""
        return not any(i.severity == "error" and not i.passed for i in self.items)

    def item(self, item_id: str) -> LintItem:
        """The item with this id (KeyError if the check did not run)."""
        for found in self.items:
            if found.id == item_id:
                return found
        raise KeyError(item_id)

    def refused_sentences(self) -> list[SentenceVerdict]:
        """Every sentence a failed check refused, in text order."""
        found = [v for i in self.items if not i.passed for v in i.sentences]
        return sorted(found, key=lambda v: (v.start, v.check))

    def failed(self) -> list[LintItem]:
        """The items that did not pass, errors and warnings."""
        return [i for i in self.items if not i.passed]


EMPTY_REPORT = LintReport(items=(), score=100)
