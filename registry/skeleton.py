"""Pages rendered once per language and shape, then filled in per request.

The QR link's page is the registry's most requested page, read by strangers with no session. For
them its chrome is the same every time, and Django's template engine cost more than the look-up
behind the page (1.2 of its 2.5 ms). So the page is rendered once per (template, language, shape)
with markers where the per-request text goes, split at the markers, and each answer joins the
parts with that text escaped as the template's autoescaping would have escaped it.

The per-request text is what the caller wraps in `Fill`; everything else in the context (flags,
which branch of the template applies) is part of the key, so it must take few values. A request
with a session or pending messages, and a rendering that asked for a CSRF token (which is
per-client), get the ordinary rendering: their output depends on more than the key.
"""

import re
from dataclasses import dataclass

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.html import conditional_escape
from django.utils.translation import get_language

from .holes import cut, fill, hole

_MARKER = re.compile("\x00([0-9]+)\x00")  # holes.hole(index): HTML escaping leaves a NUL as it is
_MAX_SKELETONS = 256  # a bound in case a caller's shape takes more values than it should
_skeletons: dict[tuple, tuple[list[str], list[str]]] = {}


@dataclass(frozen=True)
class Fill:
    """Per-request text, escaped when the page is filled in."""

    text: str


def _mark(value, fills: list[str]):
    """`value` with each Fill replaced by a numbered marker (its text appended to `fills`)."""
    if isinstance(value, Fill):
        fills.append(value.text)
        return hole(str(len(fills) - 1))
    if isinstance(value, dict):
        return {key: _mark(item, fills) for key, item in value.items()}
    return value


def plain(value):
    """`value` with each Fill replaced by its text: the ordinary rendering's context."""
    if isinstance(value, Fill):
        return value.text
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return value


def _personal(request) -> bool:
    """A session or messages: the chrome shows the user, their navigation or a message."""
    return bool(request.COOKIES.get(settings.SESSION_COOKIE_NAME) or request.COOKIES.get(CookieStorage.cookie_name))


def render_filled(request, template_name: str, context: dict, status: int = 200) -> HttpResponse:
    """`render(request, template_name, context, status=status)`, with `Fill` values as text."""
    if _personal(request):
        return render(request, template_name, plain(context), status=status)
    fills: list[str] = []
    marked = _mark(context, fills)
    key = (template_name, get_language(), repr(marked))
    skeleton = _skeletons.get(key)
    if skeleton is None:
        token_before = request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        html = render_to_string(template_name, marked, request=request)
        if request.META.get("CSRF_COOKIE_NEEDS_UPDATE") and not token_before:  # a per-client token
            return HttpResponse(render_to_string(template_name, plain(context), request=request), status=status)
        skeleton = cut(html, _MARKER)
        if len(_skeletons) < _MAX_SKELETONS:
            _skeletons[key] = skeleton
    pieces, names = skeleton
    values = {str(index): text for index, text in enumerate(fills)}
    return HttpResponse(fill(pieces, names, values, conditional_escape), status=status)
