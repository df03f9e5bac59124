"""Selector extraction on hostile free text: time per adversarial family and size, now and
before (issue 12, finding 1: one report with a summary of "a." * 10,000 froze the node 13 s).

"Before" is the previous code, kept here as the named reference and measured in the same run:
``legacy_find_urls`` (bare domains rescanned from the start of the word at every dot, every
nested "http://" scanned to the end of its run, ")" trimmed with a count per character) and
``legacy_unglue`` (the list of pieces copied at every position of a glued word). The quadratic
reference runs only up to ``--before-max`` characters (default 20,000, the API's longest
summary); larger sizes are measured "now" only.

Also per report: extraction on normal generated reports, and what ``tipnet link run`` does per
item (``item_from_report``: score and extract) on normal reports and on reports whose summary
is hostile, now and before.

    python -m benchmarks.adversarial_text                 # 10k, 20k, 100k, 1M
    python -m benchmarks.adversarial_text --quick         # 10k and 20k
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from unittest import mock

from tipnet.identifiers import numwords, web
from tipnet.identifiers.extract import extract_selectors
from tipnet.identifiers.selectors import Found, Selector, SelectorRejected

# name -> repeated unit; each builds text of any size: adversarial(unit, size)
FAMILIES = {
    "a.": "a.", "aaaa.": "aaaa.", "a1.": "a1.", "a-": "a-", "a.b ": "a.b ", "dots": ".",
    "a@": "a@", "a@b.": "a@b.", "@handle": "@aaaaaaaa", "[at] [dot]": "a [at] b [dot] ",
    "x dot ": "x dot ", "+1 ": "+1 ", "plus": "+", "digits": "1", "1.": "1.", "5 ": "5 ",
    "five ": "five ", "fivefive": "five", "quatre-vingt-": "quatre-vingt-",
    "unicode digits": "é٣ ", "full-width": "５ ", "keycap": "5\ufe0f\u20e3", "circled": "①",
    "leet": "O0l1", "0x": "0x", "bc1q": "bc1q", "base58": "1A", "http://": "http://",
    "https://a": "https://a", "www.": "www.", "xn--": "xn--", "x.co ": "x.co ", "x.co/": "x.co/",
    "a/": "a/", "url)": "http://a.com/)", ")": ")", "<a@": "<a@", "1 ext ": "1 ext ",
    "spaces": " ", "letters": "a", "İwww.": "İwww.", "mixed": "a1.b-@ +5 five/ ",
    "a.-": "a.-", "a.a@a.": "a.a@a.", "mailto:": "mailto:", "hxxp": "hxxp://a[.]",
    "1 1 ": "1 1 ",
}  # fmt: skip


def adversarial(unit: str, size: int) -> str:
    return (unit * (size // len(unit) + 1))[:size]


def extract(text: str) -> None:
    extract_selectors(texts={"summary": text}, region_hints=["ESP", "FRA"], platform="instagram")


def cpu_seconds(work: Callable[[], object], tries: int = 3) -> float:
    """Best of a few tries, in CPU time: other processes on the machine do not count."""
    best = float("inf")
    for _ in range(tries):
        started = time.process_time()
        work()
        best = min(best, time.process_time() - started)
    return best


@contextlib.contextmanager
def legacy() -> Iterator[None]:
    """The previous scans in place of the current ones."""
    with (
        mock.patch("tipnet.identifiers.extract.find_urls", legacy_find_urls),
        mock.patch.object(numwords, "unglue", legacy_unglue),
    ):
        yield


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10k and 20k characters only")
    parser.add_argument("--before-max", type=int, default=20_000)
    args = parser.parse_args()
    sizes = [10_000, 20_000] if args.quick else [10_000, 20_000, 100_000, 1_000_000]
    print(f"{'family':16} {'chars':>9} {'before ms':>11} {'now ms':>9} {'ratio':>8}")
    for name, unit in FAMILIES.items():
        for size in sizes:
            text = adversarial(unit, size)
            work = functools.partial(extract, text)
            now = cpu_seconds(work, tries=1 if size > 100_000 else 3)
            before = None
            if size <= args.before_max:
                with legacy():
                    before = cpu_seconds(work, tries=1)
            shown = f"{before * 1000:11.1f}" if before is not None else f"{'-':>11}"
            ratio = f"{before / max(now, 1e-6):8.1f}" if before is not None else f"{'-':>8}"
            print(f"{name:16} {size:9,} {shown} {now * 1000:9.1f} {ratio}", flush=True)
    per_report()


def per_report(count: int = 300) -> None:
    """Extraction per normal report (intake), and per link item, normal and hostile."""
    from tipnet.identifiers.service import extract_from_report
    from tipnet.link.report_items import item_from_report
    from tipnet.reports.examples import example_reports
    from tipnet.reports.schemas import ReportCreate

    normal = [ReportCreate.model_validate(body) for body in example_reports(count, seed=11)]
    hostile = [
        report.model_copy(
            update={"incident": report.incident.model_copy(update={"summary": "a." * 10_000})}
        )
        for report in normal[:20]
    ]

    def extraction() -> None:
        for report in normal:
            extract_from_report(report)

    def link_items(reports: list[ReportCreate]) -> Callable[[], None]:
        def run() -> None:
            for index, report in enumerate(reports):
                item_from_report(report, item_id=f"report:{index}", risk=0.0)

        return run

    rows: list[tuple[str, int, Callable[[], None]]] = [
        ("intake extraction, normal report", len(normal), extraction),
        ("link item, normal report", len(normal), link_items(normal)),
        ("link item, summary 'a.' x 10,000", len(hostile), link_items(hostile)),
    ]
    print(f"\n{'per report':36} {'before ms':>10} {'now ms':>9} {'ratio':>8}")
    for label, size, work in rows:
        work()  # warm caches (tldextract, phone metadata)
        now = cpu_seconds(work) / size
        with legacy():
            before = cpu_seconds(work, tries=1 if "x 10,000" in label else 3) / size
        print(f"{label:36} {before * 1000:10.3f} {now * 1000:9.3f} {before / now:8.1f}")


# --- the previous code, as the named reference --------------------------------------------


def legacy_find_urls(text: str, *, source: str = "") -> list[Found]:
    found: list[Found] = []
    taken_until = -1
    for match in sorted([*_legacy_scheme_urls(text), *_legacy_bare_domains(text)], key=_key):
        start = match.start()
        if start < taken_until:
            continue
        candidate = _legacy_trim_url(match.group())
        bare = not web._URL_IN_TEXT.match(candidate)
        if bare and not web._plausible_bare_domain(candidate):
            continue
        try:
            url_sel, domain_sel = web.normalize_url(candidate, source=source)
        except SelectorRejected:
            continue
        end = start + len(candidate)
        taken_until = end
        extra = [domain_sel, web.handle_from_url(url_sel.value, raw=candidate, source=source)]
        for sel in [url_sel, *extra]:
            if sel is not None:
                found.append(Found(start, end, _legacy_with_span(sel, start, end)))
    return found


def _legacy_scheme_urls(text: str) -> list[re.Match[str]]:
    starts = web._URL_START.finditer(text.lower())
    return [match for start in starts if (match := web._URL_IN_TEXT.match(text, start.start()))]


def _legacy_bare_domains(text: str) -> list[re.Match[str]]:
    matches: list[re.Match[str]] = []
    taken = -1
    for anchor in web._DOT_ANCHOR.finditer(text):
        if anchor.start() < taken:
            continue
        start = anchor.start()
        while start > 0 and text[start - 1] in web._HOST_CHARS:
            start -= 1
        match = web._BARE_DOMAIN.match(text, start)
        if match:
            matches.append(match)
            taken = match.end()
    return matches


def _key(match: re.Match[str]) -> tuple[int, int]:
    return (match.start(), -match.end())


def _legacy_trim_url(candidate: str) -> str:
    while candidate:
        last = candidate[-1]
        if last in ".,;:!?'\"*":
            candidate = candidate[:-1]
        elif last in ")]" and candidate.count(last) > candidate.count("(" if last == ")" else "["):
            candidate = candidate[:-1]
        else:
            break
    return candidate


def _legacy_with_span(sel: Selector, start: int, end: int) -> Selector:
    return replace(sel, detail={**sel.detail, "span": f"{start}-{end}"})


def legacy_unglue(word: str) -> str:
    if len(word) < 6 or word[:3] not in numwords.GLUE_PREFIXES:
        return ""
    best: list[list[str] | None] = [None] * (len(word) + 1)
    best[0] = []
    for pos in range(len(word)):
        pieces = best[pos]
        if pieces is None:
            continue
        for stop in range(pos + 3, min(len(word), pos + numwords._GLUE_MAX) + 1):
            if best[stop] is None and word[pos:stop] in numwords.GLUABLE:
                best[stop] = [*pieces, word[pos:stop]]
    found = best[-1]
    if not found or len(found) < 2:
        return ""
    out: list[str] = []
    pos = 0
    while pos < len(found):
        for size in range(min(numwords.LONGEST, len(found) - pos), 0, -1):
            value = numwords.NUMBER_WORDS.get(tuple(found[pos : pos + size]))
            if value is not None:
                out.append(str(value))
                pos += size
                break
    return "".join(out)


if __name__ == "__main__":
    main()
