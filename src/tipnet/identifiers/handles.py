"""Platform handles: canonical platform names, per-platform rules and profile URLs.

A handle selector's value is ``platform:handle``. The platforms listed here treat handles as
case-insensitive, so handles are lowercased; Facebook also ignores dots in usernames ("Periods and
capitalisation don't count"), so they are removed. Unknown platforms get generic rules (lowercase,
letters, digits, ``.``, ``_`` and ``-``, at most 64) and ``detail["rules"] == "generic"``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from urllib.parse import parse_qs, unquote, urlsplit

from tipnet.identifiers.selectors import Found, Selector, SelectorKind, SelectorRejected, quoted


@dataclass(frozen=True, slots=True)
class PlatformRules:
    pattern: re.Pattern[str]
    explain: str
    hosts: tuple[str, ...] = ()
    drop_dots: bool = False


def _rules(pattern: str, explain: str, *hosts: str, drop_dots: bool = False) -> PlatformRules:
    return PlatformRules(re.compile(pattern), explain, hosts, drop_dots)


_IG = r"[a-z0-9._]{1,30}"
PLATFORMS: Mapping[str, PlatformRules] = MappingProxyType(
    {
        "instagram": _rules(_IG, "1-30 of a-z 0-9 . _", "instagram.com", "instagr.am"),
        "threads": _rules(_IG, "1-30 of a-z 0-9 . _", "threads.net", "threads.com"),
        "x": _rules(r"[a-z0-9_]{1,15}", "1-15 of a-z 0-9 _", "x.com", "twitter.com"),
        "tiktok": _rules(r"[a-z0-9._]{2,24}", "2-24 of a-z 0-9 . _", "tiktok.com"),
        "telegram": _rules(
            r"[a-z][a-z0-9_]{4,31}",
            "5-32 of a-z 0-9 _, starting with a letter",
            "t.me",
            "telegram.me",
            "telegram.dog",
        ),
        "facebook": _rules(
            r"[a-z0-9]{5,50}|[0-9]{5,20}",
            "5-50 of a-z 0-9 . or a numeric profile id",
            "facebook.com",
            "fb.com",
            drop_dots=True,
        ),
        "snapchat": _rules(
            r"[a-z][a-z0-9._-]{2,14}",
            "3-15 of a-z 0-9 . _ -, starting with a letter",
            "snapchat.com",
        ),
        "youtube": _rules(r"[a-z0-9._-]{3,30}", "3-30 of a-z 0-9 . _ -", "youtube.com"),
        "reddit": _rules(r"[a-z0-9_-]{3,20}", "3-20 of a-z 0-9 _ -", "reddit.com"),
        "linkedin": _rules(r"[a-z0-9-]{3,100}", "3-100 of a-z 0-9 -", "linkedin.com"),
        "onlyfans": _rules(r"[a-z0-9._-]{1,50}", "1-50 of a-z 0-9 . _ -", "onlyfans.com"),
        "discord": _rules(r"[a-z0-9._]{2,32}", "2-32 of a-z 0-9 . _"),
        "whatsapp": _rules(r"\+[1-9][0-9]{6,14}", "a phone number in international form", "wa.me"),
    }  # fmt: skip
)
_ALIASES = {
    "twitter": "x", "ig": "instagram", "insta": "instagram", "fb": "facebook", "meta": "facebook",
    "tg": "telegram", "wa": "whatsapp", "tt": "tiktok", "yt": "youtube", "snap": "snapchat",
    "of": "onlyfans", "only fans": "onlyfans", "linked in": "linkedin",
}  # fmt: skip
_HOSTS = {host: name for name, rules in PLATFORMS.items() for host in rules.hosts}
_GENERIC = re.compile(r"[\w.-]{1,64}")
_URLISH = re.compile(r"(?:https?://|www\.)|[\w-]+\.[a-z]{2,}/", re.IGNORECASE)
_PREFIXED = re.compile(r"([A-Za-z][\w .-]{0,30}):(?!//)(.+)")
_AT_HANDLE = re.compile(r"[@\uff20]([\w.]{1,64})")  # starts with a literal: fast to scan
_HOST_PREFIXES = ("www.", "m.", "mobile.", "web.")
_RESERVED = {
    "instagram": {"p", "reel", "reels", "explore", "accounts", "tv", "direct", "about", "legal"},
    "x": {"home", "i", "search", "intent", "hashtag", "explore", "settings", "share", "messages"},
    "telegram": {"joinchat", "addstickers", "addemoji", "share", "c", "proxy", "socks", "iv"},
    "facebook": {
        "groups", "events", "watch", "marketplace", "photo", "photo.php", "photos", "story.php",
        "permalink.php", "sharer", "sharer.php", "share", "hashtag", "login", "help", "pages",
        "reel", "videos", "gaming", "privacy", "policies", "login.php", "dialog",
    },
    "onlyfans": {"my", "posts", "help", "terms", "privacy"},
}  # fmt: skip


def canonical_platform(platform: str) -> str:
    """``"X"``/``"twitter"`` -> ``x``, ``"IG"`` -> ``instagram``, ``"fb"`` -> ``facebook``...

    Host names of known platforms work too (``"t.me"`` -> ``telegram``); other names are
    lowercased with spaces turned into ``_``.
    """
    name = " ".join(platform.strip().lower().split())
    for prefix in _HOST_PREFIXES:
        name = name.removeprefix(prefix)
    return _ALIASES.get(name) or _HOSTS.get(name) or name.replace(" ", "_")


def normalize_handle(raw: str, platform: str | None = None, *, source: str = "") -> Selector:
    """``"@Some.User"`` on ``"IG"`` -> ``instagram:some.user``; also profile URLs and values
    already written as ``platform:handle``."""
    text = raw.strip()
    if _URLISH.match(text):
        sel = handle_from_url(text, raw=raw, source=source)
        if sel is None:
            message = (
                f"{quoted(raw)} is not a profile URL of a known platform; "
                "give the handle and its platform instead"
            )
            raise SelectorRejected(SelectorKind.HANDLE, raw, message)
        return sel
    prefixed = _PREFIXED.fullmatch(text)
    if prefixed and (platform is None or canonical_platform(prefixed[1]) in PLATFORMS):
        platform, text = prefixed[1], prefixed[2]
    if not platform:
        message = f"{quoted(raw)} needs a platform (e.g. 'instagram', 'x', 'telegram')"
        raise SelectorRejected(SelectorKind.HANDLE, raw, message)
    return _handle(canonical_platform(platform), text, raw, source)


def handle_from_url(url: str, *, raw: str | None = None, source: str = "") -> Selector | None:
    """The handle in a profile URL of a known platform, or None for any other URL."""
    text = url.strip()
    try:
        parts = urlsplit(text if "://" in text else f"https://{text}")
    except ValueError:
        return None
    host = (parts.hostname or "").rstrip(".")
    for prefix in _HOST_PREFIXES:
        host = host.removeprefix(prefix)
    name = _HOSTS.get(host)
    segments = [unquote(s) for s in parts.path.split("/") if s]
    handle = _profile_segment(name, segments, parts.query) if name and segments else None
    if name is None or handle is None:
        return None
    try:
        return _handle(name, handle, raw if raw is not None else url, source)
    except SelectorRejected:
        return None


def find_handles(text: str, platform: str, *, source: str = "") -> list[Found]:
    """``@handles`` in free text, read as handles on ``platform``; invalid ones are skipped."""
    name = canonical_platform(platform)
    found: list[Found] = []
    for match in _AT_HANDLE.finditer(text):
        before = text[match.start() - 1 : match.start()]
        if before and (before.isalnum() or before in "_@.+-"):
            continue  # part of an email address or a word
        handle = match[1].rstrip(".")
        end = match.start(1) + len(handle)
        try:
            sel = _handle(name, handle, text[match.start() : end], source)
        except SelectorRejected:
            continue
        sel = replace(sel, detail={**sel.detail, "span": f"{match.start()}-{end}"})
        found.append(Found(match.start(), end, sel))
    return found


def _handle(name: str, text: str, raw: str, source: str) -> Selector:
    handle = text.strip().removeprefix("@").removeprefix("\uff20").lower()
    rules = PLATFORMS.get(name)
    if name == "reddit":
        handle = handle.removeprefix("/").removeprefix("u/").removeprefix("user/")
    elif name == "whatsapp":
        handle = "+" + "".join(ch for ch in handle if ch.isdigit())
    if rules is not None and rules.drop_dots:
        handle = handle.replace(".", "")
    pattern = rules.pattern if rules else _GENERIC
    if not pattern.fullmatch(handle):
        explain = rules.explain if rules else "1-64 letters, digits, '.', '_' or '-'"
        message = f"{quoted(raw)} is not a valid {name} handle: it must be {explain}"
        raise SelectorRejected(SelectorKind.HANDLE, raw, message)
    detail = {"platform": name} if rules else {"platform": name, "rules": "generic"}
    return Selector(SelectorKind.HANDLE, f"{name}:{handle}", raw, source, detail)


def _profile_segment(name: str, segments: list[str], query: str) -> str | None:
    """Which path segment of a profile URL is the handle; None for posts, groups, search..."""
    first = segments[0]
    second = segments[1] if len(segments) > 1 else None
    if name in ("tiktok", "youtube", "threads"):
        return first[1:] if first.startswith("@") and len(first) > 1 else None
    if name == "reddit":
        return second if first in ("u", "user") else None
    if name == "linkedin":
        return second if first == "in" else None
    if name == "snapchat":
        return second if first == "add" else None
    if name == "facebook" and first == "profile.php":
        ids = parse_qs(query).get("id")
        return ids[0] if ids else None
    if name == "facebook" and first == "people" and len(segments) > 2:
        return segments[2]
    if name == "instagram" and first == "stories":
        return second
    if name == "telegram" and first == "s":
        return second
    if first.startswith("+") and name == "telegram":
        return None  # an invite link, not a username
    return None if first.lower() in _RESERVED.get(name, ()) else first
