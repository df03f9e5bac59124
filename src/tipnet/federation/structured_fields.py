"""RFC 8941 structured fields, the subset HTTP Message Signatures use: dictionaries, inner
lists, items with parameters; strings, tokens, integers, byte sequences and booleans.

Written here rather than taken from a package because signatures need exact serialisation of
what was parsed (the signature base repeats the covered components byte for byte), and the
subset is small. Malformed input raises the error the caller names, so a signature verifier
can turn it into a refusal of the message rather than a generic 422.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from tipnet.errors import InvalidInput

ErrorFactory = Callable[[str], Exception]


class Token(str):
    """A structured-field token (serialised bare), as opposed to a string (serialised quoted)."""


BareItem = bool | int | str | bytes
Params = dict[str, BareItem]


@dataclass(frozen=True, slots=True)
class Item:
    value: BareItem
    params: Params = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class InnerList:
    items: tuple[Item, ...]
    params: Params = field(default_factory=dict)


# Lexical rules of RFC 8941 section 4.2, one regular expression per kind of token.
_KEY = re.compile(r"[a-z*][a-z0-9_.*-]*")
_TOKEN = re.compile(r"[A-Za-z*][A-Za-z0-9!#$%&'*+.^_`|~:/-]*")
_INTEGER = re.compile(r"-?[0-9]{1,15}(?![0-9.])")
_STRING = re.compile(r'"((?:[ !#-\[\]-~]|\\["\\])*)"')
_STRING_ESCAPE = re.compile(r'\\(["\\])')
_BYTES = re.compile(r":([A-Za-z0-9+/=]*):")
_BOOLEAN = re.compile(r"\?[01]")


def parse_dictionary(
    text: str, what: str, error: ErrorFactory = InvalidInput
) -> dict[str, Item | InnerList]:
    """Parse a dictionary header; ``error`` makes the exception a malformed one raises."""
    return _Parser(text, what, error).dictionary()


def parse_item(text: str, error: ErrorFactory = InvalidInput) -> Item:
    parser = _Parser(text, "component identifier", error)
    item = parser.item()
    parser.expect_end()
    return item


def serialize_bare(value: BareItem) -> str:
    if isinstance(value, bool):
        return "?1" if value else "?0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, bytes):
        return f":{base64.b64encode(value).decode('ascii')}:"
    if isinstance(value, Token):
        return str(value)
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def serialize_params(params: Params) -> str:
    return "".join(
        f";{key}" if value is True else f";{key}={serialize_bare(value)}"
        for key, value in params.items()
    )


def serialize_item(item: Item) -> str:
    return serialize_bare(item.value) + serialize_params(item.params)


def serialize_inner_list(inner: InnerList) -> str:
    items = " ".join(serialize_item(item) for item in inner.items)
    return f"({items}){serialize_params(inner.params)}"


def serialize_member(member: Item | InnerList) -> str:
    return serialize_inner_list(member) if isinstance(member, InnerList) else serialize_item(member)


class _Parser:
    """Recursive descent over RFC 8941 section 4.2; a deviation raises the caller's error."""

    def __init__(self, text: str, what: str, make_error: ErrorFactory = InvalidInput) -> None:
        self.text, self.what, self.position = text.strip(" "), what, 0
        self.make_error = make_error

    def dictionary(self) -> dict[str, Item | InnerList]:
        members: dict[str, Item | InnerList] = {}
        while not self.at_end():
            key = self.key()
            if self.peek() == "=":
                self.position += 1
                members[key] = self.inner_list() if self.peek() == "(" else self.item()
            else:
                members[key] = Item(True, self.params())
            self.skip(" \t")
            if self.at_end():
                break
            self.take(",")
            self.skip(" \t")
            if self.at_end():
                raise self.error("a trailing comma")
        return members

    def inner_list(self) -> InnerList:
        self.take("(")
        items: list[Item] = []
        while True:
            self.skip(" ")
            if self.peek() == ")":
                self.position += 1
                return InnerList(tuple(items), self.params())
            items.append(self.item())
            if self.peek() not in (" ", ")"):
                raise self.error("an inner list item not followed by a space or ')'")

    def item(self) -> Item:
        return Item(self.bare_item(), self.params())

    def params(self) -> Params:
        params: Params = {}
        while self.peek() == ";":
            self.position += 1
            self.skip(" ")
            key = self.key()
            params[key] = True
            if self.peek() == "=":
                self.position += 1
                params[key] = self.bare_item()
        return params

    def bare_item(self) -> BareItem:
        first = self.peek()
        if first == "-" or first.isdigit():
            return int(self.match(_INTEGER, "an integer of at most 15 digits (no decimals)")[0])
        if first == '"':
            quoted = self.match(_STRING, 'a string of printable ASCII with only \\" and \\\\')
            return _STRING_ESCAPE.sub(r"\1", quoted[1])
        if first == ":":
            encoded = self.match(_BYTES, "a byte sequence")[1]
            try:  # RFC 8941 4.2.7: parsers should not fail on missing "=" padding
                return base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
            except binascii.Error as error:
                raise self.error("a byte sequence that is not base64") from error
        if first == "?":
            return self.match(_BOOLEAN, "a boolean ?0 or ?1")[0] == "?1"
        return Token(self.match(_TOKEN, "an item (integer, string, bytes, boolean or token)")[0])

    def key(self) -> str:
        return self.match(_KEY, "a key of lowercase letters, digits, _ - . *")[0]

    def match(self, pattern: re.Pattern[str], expected: str) -> re.Match[str]:
        found = pattern.match(self.text, self.position)
        if found is None:
            raise self.error(f"no {expected}")
        self.position = found.end()
        return found

    def take(self, expected: str) -> str:
        if self.peek() != expected:
            raise self.error(f"{self.peek() or 'the end'!r} where {expected!r} was expected")
        self.position += 1
        return expected

    def skip(self, characters: str) -> None:
        while not self.at_end() and self.text[self.position] in characters:
            self.position += 1

    def peek(self) -> str:
        return "" if self.at_end() else self.text[self.position]

    def at_end(self) -> bool:
        return self.position >= len(self.text)

    def expect_end(self) -> None:
        if not self.at_end():
            raise self.error("trailing characters")

    def error(self, problem: str) -> Exception:
        return self.make_error(f"{self.what}: {problem} at character {self.position}")
