"""What every command needs: settings, a database, a keyring, and errors printed, not raised.

Two kinds of output: text for people (``console``, ``errors``: rich, wrapped to the terminal,
with markup) and text for programs (:func:`print_raw`, :func:`print_json`: exactly the bytes,
never wrapped, highlighted or read as markup). Anything a user may redirect to a file or paste
elsewhere (JSON, tokens, keys, descriptors, secrets) is for programs: rich wraps at 80 columns
when stdout is not a terminal, which broke the signature of `tipnet node descriptor > file`.
"""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property, wraps
from typing import ParamSpec, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session, sessionmaker

from tipnet.audit.service import Actor
from tipnet.config import Settings, load_settings
from tipnet.crypto import Keyring
from tipnet.db import make_engine, make_session_factory, transaction
from tipnet.errors import TipnetError

console = Console()
errors = Console(stderr=True)

P = ParamSpec("P")
R = TypeVar("R")


@dataclass
class Context:
    settings: Settings

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings)

    @cached_property
    def session_factory(self) -> sessionmaker[Session]:
        return make_session_factory(self.engine)

    @cached_property
    def keyring(self) -> Keyring:
        return self.settings.keyring()  # during a key rotation, the previous key too

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with transaction(self.session_factory) as session:
            yield session


def context() -> Context:
    try:
        return Context(load_settings())
    except ValidationError as error:
        raise TipnetError(_settings_message(error)) from error


def cli_actor() -> Actor:
    return Actor(f"cli:{getpass.getuser()}")


def print_raw(text: str) -> None:
    """Machine-readable output to stdout, exactly as given, one line ending added."""
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    sys.stdout.flush()


def print_json(value: object) -> None:
    """``value`` as indented JSON on stdout, never wrapped (see :func:`print_raw`)."""
    print_raw(json.dumps(value, indent=2, ensure_ascii=False))


def say(text: str, *, to_stderr: bool = False) -> None:
    """A line for people that carries values to copy (ids, fingerprints, names from a peer's
    descriptor): not wrapped, and not read as markup, so a name like ``[/x]`` prints as it is
    instead of raising rich's MarkupError."""
    (errors if to_stderr else console).print(text, soft_wrap=True, highlight=False, markup=False)


def friendly_errors(command: Callable[P, R]) -> Callable[P, R]:
    """User mistakes end with a one-line message and exit code 1, never a traceback."""

    @wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except TipnetError as error:
            # the message can quote what the user typed: '[' in it is text, not markup
            errors.print(f"[red]error:[/red] {escape(error.message)}", soft_wrap=True)
            raise typer.Exit(1) from None
        except (OperationalError, ProgrammingError) as error:
            errors.print(
                f"[red]database error:[/red] {escape(str(error.orig))}\n"
                "Is TIPNET_DATABASE_URL right, and did you run `tipnet db upgrade`?"
            )
            raise typer.Exit(1) from None

    return wrapper


def _settings_message(error: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
