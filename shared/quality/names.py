"""Player identity across sources: a normalised name (pure).

Sources spell the same player differently: accents (Nikola Jokić / Jokic), suffixes that one source prints
and another drops (Marcus Morris Sr. / Marcus Morris, Reggie Bullock Jr.), punctuation (P.J. / PJ,
Jae'Sean), and plain different names (KJ Martin / Kenyon Martin Jr., Nate / Jeenathan Williams): the last
kind is data (quality.yaml `aliases`), never code.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv", "v"})
# Letters NFKD does not decompose into an ASCII base letter.
_FOLD = str.maketrans({"ø": "o", "đ": "d", "ł": "l", "ß": "ss", "æ": "ae", "œ": "oe", "ı": "i"})


def normalise(name: str, aliases: Mapping[str, str] | None = None) -> str:
    """Lower case ASCII words without punctuation or generational suffix; then the alias, if one is known."""
    text = unicodedata.normalize("NFKD", name.casefold().translate(_FOLD))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"[.'’`]", "", text)  # P.J. -> pj, Jae'Sean -> jaesean
    words = [w for w in re.split(r"[^a-z0-9]+", text) if w]
    while len(words) > 2 and words[-1] in SUFFIXES:
        words.pop()
    out = " ".join(words)
    return (aliases or {}).get(out, out)
