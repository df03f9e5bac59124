"""Email addresses, URLs and registered domains: normalisation and discovery in free text.

Handles live in :mod:`tipnet.identifiers.handles` and are re-exported here.

Domains are IDNA-encoded (``xn--``) everywhere, in URLs, email addresses and domain selectors, so
that one domain written in Unicode and in punycode links. The registered domain comes from the
public suffix list snapshot bundled with ``tldextract`` (never fetched: no network at run time),
including its private section, so ``anna.blogspot.com`` and ``bob.blogspot.com`` stay apart.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import email_validator
import idna
import tldextract

from tipnet.identifiers.handles import find_handles, handle_from_url, normalize_handle
from tipnet.identifiers.selectors import Found, Selector, SelectorKind, SelectorRejected, quoted

__all__ = [
    "find_emails",
    "find_handles",
    "find_urls",
    "handle_from_url",
    "normalize_domain",
    "normalize_email",
    "normalize_handle",
    "normalize_url",
    "registered_domain",
]

# --- emails ------------------------------------------------------------------------------

_AT = r"(?:\s*[\[({<]\s*(?:at|@|arroba|arobase)\s*[\])}>]\s*|\s+(?:arroba|arobase|at)\s+|@)"
_DOT = (
    r"(?:\s*[\[({<]\s*(?:dot|\.|punto|ponto|point)\s*[\])}>]\s*|\s+(?:dot|punto|ponto|point)\s+|\.)"
)
_LABEL = r"[\w-]{1,63}"
_EMAIL = re.compile(
    rf"(?<![\w.+-])(?P<local>[\w.+-]{{1,64}}+)(?P<at>{_AT})(?P<domain>{_LABEL}(?:{_DOT}{_LABEL})+)"
    r"(?![\w-])",
    re.IGNORECASE,
)
_EMAIL_HINTS = (
    "@",
    "arroba",
    "arobase",
    "at]",
    "at)",
    "at}",
    "at>",
    " dot ",
    " punto ",
    " ponto ",
    " point ",
)
_ANGLE_ADDRESS = re.compile(r"<([^<>@\s]+@[^<>\s]+)>")
_SPOKEN_AT = re.compile(r"\s+at\s+", re.IGNORECASE)
_SPELLED_DOT = re.compile(_DOT.replace(r"|\.)", ")"), re.IGNORECASE)
_ANY_DOT = re.compile(_DOT, re.IGNORECASE)


def normalize_email(raw: str, *, source: str = "") -> Selector:
    """Lowercased, syntax-checked address (no DNS); recovers "name [at] domain [dot] com"."""
    text = raw.strip()
    bracketed = _ANGLE_ADDRESS.search(text)  # "Anna <anna@example.com>"
    if bracketed:
        text = bracketed[1].strip()
    if text[:7].lower() == "mailto:":
        text = text[7:].split("?", 1)[0]
    match = _EMAIL.fullmatch(text)
    obfuscated = match is not None and text != _plain_email(match)
    address = _plain_email(match) if match else text
    try:
        result = email_validator.validate_email(address, check_deliverability=False)
    except email_validator.EmailNotValidError as err:
        message = f"{quoted(raw)} is not a valid email address: {err}"
        raise SelectorRejected(SelectorKind.EMAIL, raw, message) from err
    value = f"{result.local_part}@{result.ascii_domain}".lower()
    detail = {"obfuscated": "true"} if obfuscated else {}
    return Selector(SelectorKind.EMAIL, value, raw, source, detail)


def find_emails(text: str, *, source: str = "") -> list[Found]:
    """Addresses in free text, plain or obfuscated ("name [at] domain [dot] com").

    The full pattern only runs in windows around an "@" or an obfuscation word, found with
    ``str.find``: most text has neither, and scanning all of it with the pattern is slow.
    """
    found: list[Found] = []
    for match in _windowed(text, _EMAIL, _EMAIL_HINTS, before=80, after=280):
        # "look at example.com" is prose; a spoken "at" needs a spelled-out "dot" to count.
        if _SPOKEN_AT.fullmatch(match["at"]) and not _SPELLED_DOT.search(match["domain"]):
            continue
        try:
            sel = normalize_email(match.group(), source=source)
        except SelectorRejected:
            continue
        found.append(Found(match.start(), match.end(), _with_span(sel, match.start(), match.end())))
    return found


def _windowed(
    text: str, pattern: re.Pattern[str], hints: tuple[str, ...], before: int, after: int
) -> list[re.Match[str]]:
    """Non-overlapping matches of ``pattern`` near occurrences of ``hints`` in lowercased text."""
    lowered = text.lower()
    positions = sorted(pos for hint in hints for pos in _occurrences(lowered, hint))
    matches: list[re.Match[str]] = []
    scanned = taken = 0
    for pos in positions:
        low = max(pos - before, scanned, 0)
        if pos + after <= scanned:
            continue
        for match in pattern.finditer(text, low, pos + after):
            if match.start() >= taken:
                matches.append(match)
                taken = match.end()
        scanned = pos + after
    return matches


def _occurrences(text: str, needle: str) -> list[int]:
    found: list[int] = []
    pos = text.find(needle)
    while pos >= 0:
        found.append(pos)
        pos = text.find(needle, pos + 1)
    return found


def _plain_email(match: re.Match[str]) -> str:
    return f"{match['local']}@{_ANY_DOT.sub('.', match['domain'])}"


# --- URLs and domains ----------------------------------------------------------------------

_SCHEME = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://")
_OPAQUE_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*):(?!//|\d)")  # mailto:, tel:, javascript:
_DEFAULT_PORTS = {"http": 80, "https": 443}
_TRACKING = frozenset(
    "fbclid gclid dclid gbraid wbraid msclkid mc_cid mc_eid igshid igsh ttclid twclid yclid "
    "_ga _gl _hsenc _hsmi mkt_tok vero_id oly_anon_id oly_enc_id rb_clickid s_cid ref_src "
    "ref_url __tn__ __cft__ xmt mibextid si".split()
)
# Escapes of unreserved characters except "." (decoding "%2E" could create a new ".." segment).
_UNRESERVED_ESCAPE = re.compile(r"%(?:[46][1-9A-Fa-f]|[57][0-9Aa]|3[0-9]|2[Dd]|5[Ff]|7[Ee])")
_ANY_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"
_HOST = re.compile(r"(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}")
_DEFANG = (("hxxp", "http"), ("[.]", "."), ("(.)", "."), ("[dot]", "."), ("[:]", ":"))
_URL_IN_TEXT = re.compile(r"(?:https?://|www\.)[^\s\x00<>\"'`{}|\\^]+", re.IGNORECASE)
_BARE_DOMAIN = re.compile(
    r"(?<![@\w.-])(?:[a-z0-9][a-z0-9-]{0,62}+\.)++[a-z]{2,24}+"  # possessive: no backtracking
    r"(?:/[^\s\x00<>\"'`{}|\\^]*+)?(?![\w@-])",
    re.IGNORECASE,
)
_URL_START = re.compile(r"https?://|www\.")
_URL_PREFIX = re.compile(r"https?://|www\.", re.IGNORECASE)
# Candidates tried per run of URL characters (see _scheme_urls); past it, only junk repeats.
MAX_URL_STARTS_PER_RUN = 8
_DOT_ANCHOR = re.compile(r"[A-Za-z0-9]\.[A-Za-z]")
_HOST_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-")
# Suffixes that are mostly file extensions in prose: "setup.py" is not a website. Country codes
# that clash with extensions but matter here (.pl Poland, .rs Serbia, .md Moldova) stay domains.
_FILE_LIKE_SUFFIXES = frozenset({"py", "sh", "zip", "mov"})


@functools.lru_cache(maxsize=1)
def _extractor() -> tldextract.TLDExtract:
    # No URLs and no cache dir: the PSL snapshot bundled with tldextract, never the network.
    return tldextract.TLDExtract(
        suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True
    )


def registered_domain(host: str) -> str:
    """The registrable domain of an (ASCII, lowercase) host, or "" for IPs and bare suffixes."""
    return str(_extractor().extract_str(host).top_domain_under_public_suffix)


def normalize_url(raw: str, *, source: str = "") -> tuple[Selector, Selector | None]:
    """Canonical URL plus the registered domain as a second selector (None for IP hosts).

    Canonical form: scheme lowercased (``http`` when missing), userinfo and fragment dropped, host
    lowercased and IDNA-encoded, default port dropped, dot segments resolved, percent-escapes
    normalised, tracking parameters (``utm_*``, ``fbclid``, ``gclid``...) dropped and the rest
    sorted, and a bare host written without a trailing slash. Defanged forms (``hxxp``, ``[.]``)
    are accepted.
    """
    text = raw.strip().strip("<>\"'")
    for fanged, plain in _DEFANG:
        text = text.replace(fanged, plain)
    opaque = _OPAQUE_SCHEME.match(text)
    if opaque and opaque[1].lower() not in _DEFAULT_PORTS:
        raise _bad_url(raw, f"only http and https URLs are selectors, not {opaque[1]}:")
    if not _SCHEME.match(text):
        text = "http:" + text if text.startswith("//") else "http://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as err:
        raise _bad_url(raw, f"it cannot be parsed ({err})") from err
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise _bad_url(raw, f"only http and https URLs are selectors, not {scheme}")
    host = _ascii_host(raw, parts.hostname or "")
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc += f":{port}"
    path = _clean_path(parts.path)
    query = _clean_query(parts.query)
    if path == "/" and not query:
        path = ""
    url = f"{scheme}://{netloc}{path}" + (f"?{query}" if query else "")
    url_sel = Selector(SelectorKind.URL, url, raw, source, {"host": host})
    domain = registered_domain(host)
    domain_sel = Selector(SelectorKind.DOMAIN, domain, raw, source, {}) if domain else None
    return url_sel, domain_sel


def normalize_domain(raw: str, *, source: str = "") -> Selector:
    """The registered domain of a host name or URL: ``"WWW.Example.co.uk"`` -> ``example.co.uk``."""
    text = raw.strip().rstrip(".")
    try:
        host = urlsplit(text if _SCHEME.match(text) else f"http://{text}").hostname or ""
    except ValueError as err:
        raise _bad_url(raw, f"it cannot be parsed ({err})", SelectorKind.DOMAIN) from err
    host = _ascii_host(raw, host, kind=SelectorKind.DOMAIN)
    domain = registered_domain(host)
    if not domain:
        message = f"{quoted(raw)} has no registrable domain (an IP address or a bare public suffix)"
        raise SelectorRejected(SelectorKind.DOMAIN, raw, message)
    return Selector(
        SelectorKind.DOMAIN, domain, raw, source, {"host": host} if host != domain else {}
    )


def find_urls(text: str, *, source: str = "") -> list[Found]:
    """URLs with a scheme or ``www.``, and bare ``name.tld/path`` whose suffix is a real one.

    Each URL yields a URL selector, its domain selector and, for a profile URL of a known
    platform, a handle selector, all with the same span. The scan is linear in the length of the
    text (see :func:`_scheme_urls` and :func:`_bare_domains`): a report is hostile input.
    """
    found: list[Found] = []
    taken_until = -1
    # A text may repeat one URL thousands of times; normalising it once per text is enough.
    known: dict[str, list[Selector]] = {}
    for start, stop in sorted([*_scheme_urls(text), *_bare_domains(text)], key=_span_key):
        if start < taken_until:
            continue
        candidate = _trim_url(text[start:stop])
        selectors = known.get(candidate)
        if selectors is None:
            selectors = known[candidate] = _url_selectors(candidate, source)
        if not selectors:
            continue
        end = taken_until = start + len(candidate)
        found += [Found(start, end, _with_span(sel, start, end)) for sel in selectors]
    return found


def _url_selectors(candidate: str, source: str) -> list[Selector]:
    """URL, domain and handle selectors of one candidate; none if it is not a usable URL."""
    if not _URL_IN_TEXT.match(candidate) and not _plausible_bare_domain(candidate):
        return []
    try:
        url_sel, domain_sel = normalize_url(candidate, source=source)
    except SelectorRejected:
        return []
    handle_sel = handle_from_url(url_sel.value, raw=candidate, source=source)
    return [sel for sel in (url_sel, domain_sel, handle_sel) if sel is not None]


def _scheme_urls(text: str) -> list[tuple[int, int]]:
    """Spans of ``http(s)://...`` and ``www....`` candidates.

    A start inside the span of an earlier one ("http://http://x.com") ends where that one ends,
    so its end is known without rescanning the text; and at most ``MAX_URL_STARTS_PER_RUN``
    starts are kept per run of URL characters, so that "http://" repeated 100,000 times costs
    a few candidates, not 100,000 (each would be parsed over the rest of the run).
    """
    spans: list[tuple[int, int]] = []
    run_end = starts_in_run = 0
    # Find starts in lowercased text with a case-sensitive pattern: several times faster.
    for found in _URL_START.finditer(text.lower()):
        start = found.start()
        if start < run_end:
            starts_in_run += 1
            prefix = _URL_PREFIX.match(text, start)
            if starts_in_run <= MAX_URL_STARTS_PER_RUN and prefix and prefix.end() < run_end:
                spans.append((start, run_end))
            continue
        match = _URL_IN_TEXT.match(text, start)
        if match:
            spans.append(match.span())
            run_end, starts_in_run = match.end(), 1
    return spans


def _bare_domains(text: str) -> list[tuple[int, int]]:
    """Spans of ``name.tld/path`` candidates, matched only from the start of a word with a "x.y"
    in it (running the pattern at every position of the text is several times slower).

    Linear: the pattern is tried once per word, however many dots the word has ("a.a.a.a..."),
    and the walk back to the start of a word stops at the previous dot anchor, whose word start
    is already known.
    """
    spans: list[tuple[int, int]] = []
    taken = last_anchor = word_start = tried = -1
    for anchor in _DOT_ANCHOR.finditer(text):
        if anchor.start() < taken:
            continue
        start = anchor.start()
        while start > last_anchor and start > 0 and text[start - 1] in _HOST_CHARS:
            start -= 1
        if start == last_anchor:  # same word as the previous anchor: same start
            start = word_start
        last_anchor, word_start = anchor.start(), start
        if start == tried:
            continue  # the pattern already ran from this word start; it would find the same
        tried = start
        match = _BARE_DOMAIN.match(text, start)
        if match:
            spans.append(match.span())
            taken = match.end()
    return spans


def _span_key(span: tuple[int, int]) -> tuple[int, int]:
    return (span[0], -span[1])


def _trim_url(candidate: str) -> str:
    """Drop sentence punctuation that a URL regex swallows: "see x.com/a)." -> "x.com/a".

    Brackets are counted once (trimming never removes an opening one): linear in the length.
    """
    opening = {")": candidate.count("("), "]": candidate.count("[")}
    closing = {")": candidate.count(")"), "]": candidate.count("]")}
    end = len(candidate)
    while end:
        last = candidate[end - 1]
        if last in ".,;:!?'\"*":
            end -= 1
        elif last in ")]" and closing[last] > opening[last]:
            closing[last] -= 1
            end -= 1
        else:
            break
    return candidate[:end]


def _plausible_bare_domain(candidate: str) -> bool:
    host = candidate.split("/", 1)[0].lower()
    parts = _extractor().extract_str(host)
    return bool(parts.domain and parts.suffix) and parts.suffix not in _FILE_LIKE_SUFFIXES


def _ascii_host(raw: str, host: str, kind: SelectorKind = SelectorKind.URL) -> str:
    host = host.rstrip(".").lower()
    if not host:
        raise _bad_url(raw, "it has no host", kind)
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    if not host.isascii():
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except idna.IDNAError as err:
            raise _bad_url(
                raw, f"its host is not a valid internationalised name ({err})", kind
            ) from err
    if not _HOST.fullmatch(host):
        raise _bad_url(raw, f"{host!r} is not a domain name (it needs a dot and a suffix)", kind)
    return host


def _bad_url(raw: str, why: str, kind: SelectorKind = SelectorKind.URL) -> SelectorRejected:
    noun = "URL" if kind is SelectorKind.URL else "domain"
    return SelectorRejected(kind, raw, f"{quoted(raw)} is not a usable {noun}: {why}")


def _clean_path(path: str) -> str:
    segments: list[str] = []
    for segment in path.split("/")[1:]:  # RFC 3986 section 5.2.4, remove_dot_segments
        if segment == "..":
            if segments:
                segments.pop()
        elif segment != ".":
            segments.append(segment)
    if path.split("/")[-1] in (".", ".."):
        segments.append("")
    return _escape("/" + "/".join(segments))


def _escape(text: str) -> str:
    """Decode escapes of unreserved characters, uppercase the others, encode what must be."""
    text = _UNRESERVED_ESCAPE.sub(lambda m: chr(int(m.group()[1:], 16)), text)
    text = _ANY_ESCAPE.sub(lambda m: m.group().upper(), text)
    return quote(text, safe=_PATH_SAFE)


def _clean_query(query: str) -> str:
    pairs = [
        (key, value)
        for key, value in parse_qsl(query, keep_blank_values=True)
        if key.lower() not in _TRACKING and not key.lower().startswith("utm_")
    ]
    return urlencode(sorted(pairs), quote_via=quote)


def _with_span(sel: Selector, start: int, end: int) -> Selector:
    # The constructor rather than dataclasses.replace: same result, a third of the time.
    detail = {**sel.detail, "span": f"{start}-{end}"}
    return Selector(sel.kind, sel.value, sel.raw, sel.source, detail)
