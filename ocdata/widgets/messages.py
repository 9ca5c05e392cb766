"""Readable notices for the widgets: what happened, in words an analyst can act on.

A widget never shows a traceback. Store errors (:class:`~ocdata.client.errors.OcdataError`)
become a :class:`Notice` whose details are the store's own field messages, with
OpenCart's field keys (``product_0_option_218``) translated to the draft's terms
("line 1, option 218"). Every text passes through the client's secret redaction.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Literal

from ocdata.client.credentials import redact
from ocdata.client.errors import (
    AuthenticationError,
    NotFoundError,
    OcdataError,
    OrderStateUnknownError,
    PermissionDeniedError,
    TransportError,
    ValidationError,
)

__all__ = ["Notice", "error_notice", "field_label"]

Level = Literal["info", "success", "warning", "error"]

_COLOURS = {"info": "#1f4e79", "success": "#1e6b30", "warning": "#8a5a00", "error": "#a12622"}


@dataclass(frozen=True)
class Notice:
    """A message for the widget's status area: ``title`` plus optional ``details`` lines."""

    level: Level
    title: str
    details: tuple[str, ...] = field(default=())

    @property
    def text(self) -> str:
        """Plain text: the title, then one ``- detail`` line each."""
        return "\n".join([self.title, *(f"- {d}" for d in self.details)])

    def html(self) -> str:
        items = "".join(f"<li>{html.escape(d)}</li>" for d in self.details)
        body = f"<ul style='margin:2px 0 0 0'>{items}</ul>" if items else ""
        return (f"<div class='ocdata-notice ocdata-{self.level}' style='color:{_COLOURS[self.level]}'>"
                f"<b>{html.escape(self.title)}</b>{body}</div>")


_PRODUCT_FIELD = re.compile(r"^product_(\d+)_(option_(\d+)|product|quantity|minimum|subscription)$")


def field_label(key: str) -> str:
    """An OpenCart error key in the draft's terms: ``product_0_option_218`` -> ``line 1, option 218``."""
    m = _PRODUCT_FIELD.match(key)
    if m:
        line = f"line {int(m.group(1)) + 1}"
        if m.group(3):
            return f"{line}, option {m.group(3)}"
        return line if m.group(2) == "product" else f"{line}, {m.group(2)}"
    return {"warning": "store", "error": "store", "option": "option"}.get(key, key.replace("_", " "))


def _field_details(fields: dict[str, str]) -> tuple[str, ...]:
    details = []
    for key, message in fields.items():
        # OpenCart adds a generic "check the cart" warning next to the specific line errors
        if key == "warning" and len(fields) > 1 and "check the cart" in message.lower():
            continue
        details.append(redact(f"{field_label(key)}: {message}"))
    return tuple(details)


def error_notice(exc: BaseException, action: str) -> Notice:
    """The notice for an exception raised while doing ``action`` (e.g. ``"quote"``, ``"confirm"``)."""
    if isinstance(exc, OrderStateUnknownError):
        return Notice("error", f"The {action} request was sent but its answer was lost: the order may exist.",
                      ("Check the store's order list before confirming again; ocdata never repeats it for you.",
                       redact(exc.message)))
    if isinstance(exc, ValidationError):
        return Notice("error", f"The store refused the {action}: fix the draft and try again.",
                      _field_details(exc.fields) or (redact(exc.message),))
    if isinstance(exc, NotFoundError):
        fields = getattr(exc, "fields", {}) or {}
        return Notice("error", f"The store does not know something the draft names ({action}).",
                      _field_details(fields) or (redact(exc.message),))
    if isinstance(exc, AuthenticationError):
        return Notice("error", "The store rejected the API credentials.", (redact(exc.message),))
    if isinstance(exc, PermissionDeniedError):
        return Notice("error", "The store refused the call (IP not allowed, signature or clock).",
                      (redact(exc.message),))
    if isinstance(exc, TransportError):
        return Notice("error", f"No answer from the store for the {action}.", (redact(exc.message),))
    if isinstance(exc, OcdataError):
        return Notice("error", f"The {action} failed.", (redact(exc.message),))
    # anything else is a bug or a bad input; still a message, never a traceback
    return Notice("error", f"The {action} failed ({type(exc).__name__}).", (redact(str(exc)),))
