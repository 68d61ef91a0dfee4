"""`python -m comms users …`: add, list, remove users, change their passwords and languages.

Passwords are read from the terminal (asked twice) or, for scripts, one line from standard
input with --password-stdin; never from the command line, where `ps` would show them.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from comms.accounts.auth import (
    ROLES,
    add_user,
    load_users,
    remove_user,
    set_languages,
    set_password,
)
from core.errors import InputError
from core.settings import load_settings


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the `users` command and its subcommands to the CLI."""
    users = sub.add_parser("users", help="who may sign in, and with which role")
    actions = users.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="add a user (asks for the password)")
    add.add_argument("name", help="login name, or the e-mail address for OIDC sign-in")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument(
        "--oidc", action="store_true", help="no password: this e-mail signs in through OIDC"
    )
    actions.add_parser("list", help="every user with role and login kind")
    actions.add_parser("remove", help="remove a user").add_argument("name")
    languages = actions.add_parser(
        "languages", help="the languages a user reads as a native speaker (replaces the list)"
    )
    languages.add_argument("name")
    languages.add_argument("codes", nargs="*", help="language codes such as tr ar; none: clear")
    passwd = actions.add_parser("passwd", help="set a new password")
    passwd.add_argument("name")
    for needs_password in (add, passwd):
        needs_password.add_argument(
            "--password-stdin", action="store_true", help="read the password from stdin"
        )


def run(args: argparse.Namespace) -> int:
    """Run one `users` subcommand."""
    settings = load_settings()
    match args.action:
        case "list":
            for name, user in sorted(load_users(settings).items()):
                kind = "password" if user.password_hash else "oidc"
                reads = f"\treads: {', '.join(user.reads)}" if user.reads else ""
                print(f"{name}\t{user.role}\t{kind}{reads}")
        case "add":
            password = None if args.oidc else _password(args.password_stdin)
            add_user(settings, args.name, args.role, password)
            print(f"Added {args.name} ({args.role}).")
        case "passwd":
            set_password(settings, args.name, _password(args.password_stdin))
            print(f"Changed the password of {args.name}.")
        case "languages":
            codes = set_languages(settings, args.name, args.codes)
            print(f"{args.name} reads: {', '.join(codes) or 'no language recorded'}.")
        case "remove":
            remove_user(settings, args.name)
            print(f"Removed {args.name}.")
    return 0


def _password(from_stdin: bool) -> str:
    """A new password from stdin, or typed twice at the terminal."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("New password: ")
    if getpass.getpass("Repeat it: ") != first:
        raise InputError("The two passwords differ; nothing was changed.")
    return first
