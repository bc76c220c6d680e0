"""Text rendered once with holes, then filled in many times.

Two hot paths render the same text for every request or certificate but for a few values: the QR
link's page (registry/skeleton.py, HTML) and each certificate's canonical credential
(certification/signing.py, JSON). Each renders once with NUL-delimited markers where the values
go, cuts the text at the markers, and joins the pieces with the values escaped as the renderer
would have escaped them. A NUL is in no template's output and survives both HTML and JSON escaping
as something the marker pattern finds.
"""

import re
from collections.abc import Callable, Mapping


def hole(name: str) -> str:
    """The marker for the value called `name` (letters, digits, underscores)."""
    return f"\0{name}\0"


def cut(text: str, marker: re.Pattern) -> tuple[list[str], list[str]]:
    """`text` cut at each match of `marker` (its one group is the hole's name): the pieces around
    the holes, and the holes' names in order (a name may come more than once)."""
    parts = marker.split(text)
    return parts[0::2], parts[1::2]


def fill(pieces: list[str], names: list[str], values: Mapping, escape: Callable[[object], str]) -> str:
    """The text again, with each hole's value escaped."""
    out = [pieces[0]]
    for name, piece in zip(names, pieces[1:], strict=True):
        out.append(escape(values[name]))
        out.append(piece)
    return "".join(out)
