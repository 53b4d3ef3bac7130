"""Keep secrets out of every text that leaves the process: log lines, saved errors, output.

`scrub` is the one function for that. It masks what looks like a credential (the value of
a Bearer or Basic Authorization header, a token, secret or code in a query string, a form
or JSON) and every secret this process was handed (`remember`), in each form an error
message may quote it: as is, escaped by repr() or JSON, or one line of a value that holds
a newline. Callers: the log handler's filter (`ScrubFilter`), the state file's error
texts, and the `status` output.
"""

from __future__ import annotations

import json
import logging
import re
import threading

REDACTED = "<redacted>"
MIN_SECRET = 8  # shorter values are not credentials, and masking them would mangle text

# A value ends at whitespace, a quote or a separator; repr()/JSON escapes such as \n inside
# it (a malformed token) do not end it.
_VALUE = r"(?:\\[nrt]|[^\s'\"<>,;&#}\])])+"
_BEARER = re.compile(rf"(?i)(\bbearer\s+){_VALUE}")
_BASIC = re.compile(r"(?i)(\bbasic\s+)[A-Za-z0-9+/=]{8,}")
_NAMED = re.compile(
    rf"(?i)(\b(?:access_token|refresh_token|id_token|client_secret|password)"
    rf"[\"']?\s*[:=]\s*[\"']?){_VALUE}"
)
_QUERY = re.compile(rf"(?i)([?&](?:token|code)=){_VALUE}")

_known: set[str] = set()
_known_lock = threading.Lock()


def remember(secret: str | None) -> None:
    """Mask `secret` from now on wherever it appears (values under MIN_SECRET are ignored)."""
    if not secret or len(secret.strip()) < MIN_SECRET:
        return
    forms = {secret, secret.strip(), repr(secret)[1:-1], json.dumps(secret)[1:-1]}
    forms.update(part for part in re.split(r"[\s\x00-\x1f]+", secret))
    with _known_lock:
        _known.update(form for form in forms if len(form) >= MIN_SECRET)


def forget_all() -> None:
    """Drop every remembered secret (for tests)."""
    with _known_lock:
        _known.clear()


def scrub(text: str) -> str:
    """`text` with every credential in it replaced by <redacted>."""
    with _known_lock:
        known = sorted(_known, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, REDACTED)
    for pattern in (_BEARER, _BASIC, _NAMED, _QUERY):
        text = pattern.sub(_masked, text)
    return text


def _masked(match: re.Match[str]) -> str:
    return match.group(1) + REDACTED


class ScrubFilter(logging.Filter):
    """Scrubs each record (message, arguments and traceback) before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrub(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return True
