"""Text as people type or paste it, made canonical before anything is checked or stored.

One normaliser for every form, the import and the services: full-width characters become
half-width (NFKC: "１３８" → "138", "＋" → "+"), non-breaking and ideographic spaces become
ordinary spaces, and runs of spaces collapse to one, trimmed at both ends.
"""

import re
import unicodedata

# NFKC already maps U+00A0 (NBSP), U+3000 (ideographic space) and the U+2000 block to a
# plain space; zero-width characters pasted from web pages and chat apps are removed.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
_SPACES = re.compile(r"\s+")


def normalize_text(value) -> str:
    """Half-width, single-spaced, trimmed text ("" for None)."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value)).translate(_INVISIBLE)
    return _SPACES.sub(" ", text).strip()
