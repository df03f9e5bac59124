"""Extraction and normalisation of selectors: phones, emails, URLs, domains, handles, wallets.

Pure functions, no I/O: safe at report intake and inside Dask workers. Start with
:func:`extract_selectors`; the ``normalize_*`` functions handle one known value each.
"""

from tipnet.identifiers.extract import extract_selectors, field_kind
from tipnet.identifiers.selectors import (
    ExtractionResult,
    Problem,
    Selector,
    SelectorKind,
    SelectorRejected,
)

__all__ = [
    "ExtractionResult",
    "Problem",
    "Selector",
    "SelectorKind",
    "SelectorRejected",
    "extract_selectors",
    "field_kind",
]
