"""`python -m comms pretest …`: test versions of a message with readers, then adopt the winner."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from comms.packs.store import PackStore
from comms.pretest.adoption import adopt
from comms.pretest.power import respondents_needed
from comms.pretest.store import PretestStore
from comms.pretest.summary import notes, summarise
from comms.pretest.versions import Choice, choices
from comms.pretest.workflow import (
    analyse_pretest,
    create_pretest,
    import_answers,
    write_survey_files,
)
from core.settings import Settings, load_settings
from knowledge.retrieval.store import Store

CLI_USER = "cli"


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the `pretest` command and its subcommands to the CLI."""
    pretest = sub.add_parser(
        "pretest", help="test 2-4 versions of a pack message with readers, then adopt the winner"
    )
    actions = pretest.add_subparsers(dest="action", required=True)
    options = actions.add_parser("choices", help="the versions of a message that can be tested")
    _message_options(options)
    create = actions.add_parser("create", help="design a pretest of 2-4 versions of a message")
    _message_options(create)
    create.add_argument(
        "--versions",
        nargs="+",
        required=True,
        help="variant numbers, ':composed' for a variant's composed version, ':mapN' for it "
        "composed from map version N: v1 v2, v1 v1:composed, v1 v1:map2",
    )
    create.add_argument("--id", help="the pretest's id (default: campaign-audience-channel-N)")
    create.add_argument("--user", default=CLI_USER, help="name recorded with the pretest")
    create.add_argument(
        "--hoped-dz",
        type=float,
        default=0.5,
        help="the smallest difference worth finding, as Cohen's dz (0.2 very small, 0.5 "
        "medium-small, 0.8 large): sets the panel size the analysis asks for",
    )
    listing = actions.add_parser("list", help="a campaign's pretests")
    listing.add_argument("--campaign", required=True)
    files = actions.add_parser(
        "export", help="write the LimeSurvey survey, the paper questionnaire and the CSV template"
    )
    files.add_argument("id")
    files.add_argument("--out", required=True, type=Path, help="folder to write the files to")
    answers = actions.add_parser("import", help="take in a LimeSurvey export or the CSV template")
    answers.add_argument("id")
    answers.add_argument("file", type=Path)
    answers.add_argument("--user", default=CLI_USER)
    result = actions.add_parser("analyse", help="the ratings' analysis, in plain words")
    result.add_argument("id")
    result.add_argument("--json", action="store_true")
    result.add_argument("--language", choices=("de", "en"), default="de")
    take = actions.add_parser("adopt", help="approve the winning version into the pack")
    take.add_argument("id")
    take.add_argument("--user", required=True, help="your name, recorded as the approver")
    take.add_argument("--version", help="a label (A-D) the test did not single out")
    take.add_argument("--reason", default="", help="why, when --version overrules the test")


def _message_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--campaign", required=True, help="campaign id")
    parser.add_argument("--audience", required=True)
    parser.add_argument("--channel", required=True)
    parser.add_argument("--languages", nargs="+", required=True, help="e.g. de tr")


def _knowledge(picked: list[Choice], settings: Settings) -> Store | None:
    """The evidence store, opened only when a version is composed from an older map."""
    if not any(choice.source == "map" for choice in picked):
        return None
    from knowledge import open_store

    return open_store(settings)


def run(args: argparse.Namespace) -> int:
    """Run one `pretest` subcommand."""
    settings = load_settings()
    packs, pretests = PackStore(settings), PretestStore(settings)
    match args.action:
        case "choices":
            found = choices(packs, args.campaign, args.audience, args.channel, args.languages)
            for choice in found:
                print(choice.name)
        case "create":
            picked = [Choice.parse(text) for text in args.versions]
            made = create_pretest(
                packs,
                pretests,
                args.campaign,
                args.audience,
                args.channel,
                args.languages,
                picked,
                user=args.user,
                pretest_id=args.id,
                hoped_dz=args.hoped_dz,
                knowledge=_knowledge(picked, settings),
            )
            needed = respondents_needed(made.hoped_dz, versions=len(made.versions))
            print(
                f"Pretest {made.id}: {len(made.versions)} versions, {len(made.orders)} orders; "
                f"about {needed} respondents find a difference of dz = {made.hoped_dz:g} "
                "with 80 % power."
            )
        case "list":
            for item in pretests.of_campaign(args.campaign):
                labels = " ".join(f"{v.label}=v{v.variant}:{v.source}" for v in item.versions)
                print(f"{item.id}\t{item.audience}\t{item.channel}\t{labels}")
        case "export":
            written = write_survey_files(pretests.get(args.id), args.out)
            for path in written:
                print(path)
        case "import":
            done = import_answers(
                pretests, args.id, args.file.read_bytes(), args.file.name, user=args.user
            )
            print(f"{done.respondents} respondents, {done.ratings} ratings from {args.file.name}.")
        case "analyse":
            pretest = pretests.get(args.id)
            analysis = analyse_pretest(pretests, pretest)
            if args.json:
                print(json.dumps(analysis.model_dump(mode="json"), ensure_ascii=False, indent=2))
            else:
                print(summarise(analysis, args.language))
                for note in notes(analysis, args.language):
                    print(f"- {note}")
        case "adopt":
            adopted = adopt(
                packs, pretests, args.id, user=args.user, label=args.version, reason=args.reason
            )
            cells = ", ".join(m.cell.key for m in adopted.messages)
            print(f"Adopted version {adopted.result.version}: {cells}.")
    return 0
