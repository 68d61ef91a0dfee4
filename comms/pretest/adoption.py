"""Adopting a pretest's winning version: its texts become the pack's, approved, with the result."""

from __future__ import annotations

from dataclasses import dataclass

from comms.packs.campaign import Cell
from comms.packs.pretest_results import Comparison, PretestResult
from comms.packs.review import approve, edit_text, person
from comms.packs.store import PackMessage, PackStore, audit_event
from comms.pretest.analysis import PairResult, PretestAnalysis
from comms.pretest.design import Pretest, TestVersion
from comms.pretest.store import PretestStore
from comms.pretest.summary import summarise
from comms.pretest.workflow import analyse_pretest
from core.clock import now
from core.errors import InputError


@dataclass(frozen=True)
class Adoption:
    """What adopting did: the result recorded and the pack messages it approved or edited."""

    result: PretestResult
    messages: tuple[PackMessage, ...]


def adopt(
    packs: PackStore,
    pretests: PretestStore,
    pretest_id: str,
    *,
    user: str,
    label: str | None = None,
    reason: str = "",
) -> Adoption:
    """Make the tested winner (or the version staff name, with a reason) the pack's text in
    every tested language, approve it, and keep the test's result with each cell."""
    user = person(user)
    pretest = pretests.get(pretest_id)
    analysis = analyse_pretest(pretests, pretest)
    chosen = _chosen(pretest, analysis, label, reason)
    ready = _ready_messages(packs, pretest, chosen)
    result = _result(pretest, analysis, chosen, user, reason)
    done = tuple(_apply(packs, pretest, chosen, message, result, user) for message in ready)
    return Adoption(result, done)


def _chosen(
    pretest: Pretest, analysis: PretestAnalysis, label: str | None, reason: str
) -> TestVersion:
    labels = {v.label: v for v in pretest.versions}
    if label is None:
        if analysis.winner is None:
            raise InputError(
                f"Pretest {pretest.id} singled out no version ({summarise(analysis, 'en')}) "
                "Name the version to adopt and say why."
            )
        return labels[analysis.winner]
    if label not in labels:
        raise InputError(f"Pretest {pretest.id} has no version '{label}' ({', '.join(labels)}).")
    if label != analysis.winner and not reason.strip():
        raise InputError(
            f"The test did not single out version {label}: say why it is adopted anyway."
        )
    return labels[label]


def _ready_messages(packs: PackStore, pretest: Pretest, chosen: TestVersion) -> list[PackMessage]:
    """The tested cells' messages, refused as a whole if any changed since the test or was
    rejected."""
    ready = []
    for lang in pretest.languages:
        cell = Cell(pretest.audience, pretest.channel, lang, chosen.variant)
        message = packs.message(pretest.campaign_id, cell)
        if message is None:
            raise InputError(f"The pack no longer has {cell.key}: nothing was adopted.")
        tested = chosen.revisions.get(cell.language)
        if message.revision != tested and message.text != chosen.texts[cell.language]:
            raise InputError(
                f"{cell.key} changed since the test (revision {message.revision}, tested "
                f"{tested}): readers rated another text. Test again, or edit and approve it "
                "yourself; nothing was adopted."
            )
        if message.status == "rejected":
            raise InputError(
                f"{cell.key} was rejected in review: the test does not overrule that. Nothing "
                "was adopted."
            )
        ready.append(message)
    return ready


def _apply(
    packs: PackStore,
    pretest: Pretest,
    chosen: TestVersion,
    message: PackMessage,
    result: PretestResult,
    user: str,
) -> PackMessage:
    cell = message.cell
    text = chosen.texts[cell.language]
    if message.text != text:  # a composed or map version was tested: it becomes the text
        # the revision checked by _ready_messages: a change since then is a ReviewConflict
        message = edit_text(
            packs, pretest.campaign_id, cell, text, user=user, revision=message.revision
        )
    approvers = packs.approvers(pretest.campaign_id, cell, message.revision)
    if message.status != "approved" and user not in approvers:
        message = approve(packs, pretest.campaign_id, cell, user=user, revision=message.revision)
    with packs.transaction() as tx:
        tx.record_pretest(pretest.campaign_id, cell, result)
        tx.record(audit_event(message, user, "pretest", result.summary))
    return message


def _result(
    pretest: Pretest, analysis: PretestAnalysis, chosen: TestVersion, user: str, reason: str
) -> PretestResult:
    variants = {v.label: v.variant for v in pretest.versions}
    comparisons = [
        _comparison(chosen.label, pair, variants)
        for pair in analysis.pairs
        if chosen.label in (pair.first, pair.second)
    ]
    decided = analysis.winner == chosen.label
    summary = summarise(analysis, "en")
    if not decided:
        summary += f" Version {chosen.label} adopted by {user}: {reason.strip()}"
    means = {v.version: v.mean for v in analysis.versions}
    return PretestResult(
        pretest_id=pretest.id,
        version=chosen.label,
        variant=chosen.variant,
        source=chosen.source,
        respondents=analysis.respondents,
        test=analysis.test,
        mean=means[chosen.label],
        comparisons=comparisons,
        summary=summary,
        decided_by_test=decided,
        adopted_by=user,
        adopted_at=now(),
    )


def _comparison(label: str, pair: PairResult, variants: dict[str, int]) -> Comparison:
    """The pair seen from the adopted version: its mean minus the other's."""
    flip = pair.second != label  # the pair's difference is second minus first
    other = pair.second if flip else pair.first
    sign = -1.0 if flip else 1.0
    low, high = pair.ci_low, pair.ci_high
    if flip and low is not None and high is not None:
        low, high = -high, -low
    return Comparison(
        other=other,
        other_variant=variants[other],
        difference=sign * pair.difference,
        ci_low=low,
        ci_high=high,
        dz=None if pair.dz is None else sign * pair.dz,
        p=pair.p_holm,
    )
