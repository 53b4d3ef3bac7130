"""A network failure's cause in a few words, for the one line a failed category gets.

requests reports "Max retries exceeded ... (Caused by NewConnectionError(...))"; what a
person needs is which of name resolution, refused connection, TLS, timeout or proxy failed.
"""

from __future__ import annotations

import http.client
import re
import socket
import ssl

import requests

from oura_stats.api.defaults import READ_TIMEOUT
from oura_stats.scrub import scrub


def describe(error: Exception, read_timeout: float = READ_TIMEOUT) -> str:
    """The cause of a network failure in a few words: name resolution, connection refused,
    TLS, timeout or proxy, instead of requests' "Max retries exceeded ... (Caused by ...)"."""
    chain = _causes(error)
    if any(isinstance(e, requests.exceptions.ProxyError) for e in chain):
        proxy = next((_address(e) for e in reversed(chain) if _address(e)), None)
        where = f" {proxy}" if proxy else ""
        return f"cannot connect to the proxy{where}: {_innermost(chain[1:]) or 'refused'}"
    if any(isinstance(e, requests.exceptions.SSLError) for e in chain):
        return f"TLS failed: {_tls_reason(chain)}"
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return "connection timed out"
    if isinstance(error, requests.Timeout):
        return f"no answer within {read_timeout:g} s (read timeout)"
    found = _innermost(chain)
    if found:
        return found
    text = scrub(str(error)).splitlines()[0] if str(error) else ""
    return f"{type(error).__name__}: {text}"[:200]  # not a network failure: say what it is


def _causes(error: BaseException) -> list[BaseException]:
    """The error and what caused it, outermost first (requests and urllib3 nest them)."""
    chain: list[BaseException] = []
    pending: list[object] = [error]
    while pending:
        item = pending.pop(0)
        if not isinstance(item, BaseException) or any(item is seen for seen in chain):
            continue
        chain.append(item)
        pending.extend([getattr(item, "reason", None), item.__cause__, item.__context__])
        pending.extend(arg for arg in item.args if isinstance(arg, BaseException))
    return chain


def _innermost(chain: list[BaseException]) -> str | None:
    """Words for the deepest cause requests wraps: refused, name resolution, reset, ..."""
    for cause in reversed(chain):
        if isinstance(cause, socket.gaierror):
            host = next((_host(e) for e in chain if _host(e)), None)
            where = f" for {host}" if host else ""
            return f"name resolution failed{where} ({cause.strerror or cause})"
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cause, ConnectionResetError):
            return "connection reset by the server"
        if isinstance(cause, TimeoutError | socket.timeout):
            return "connection timed out"
        if isinstance(cause, http.client.RemoteDisconnected):
            return "the server closed the connection without answering"
        if isinstance(cause, OSError) and cause.strerror:
            return cause.strerror[:1].lower() + cause.strerror[1:]
    return None


def _host(error: BaseException) -> str | None:
    match = re.search(r"(?:host=|resolve )'([^']+)'", str(error))
    return match.group(1) if match else None


def _address(error: BaseException) -> str | None:
    """host:port of the connection that failed, from urllib3's NewConnectionError text."""
    match = re.search(r"host='([^']+)', port=(\d+)", str(error))
    return f"{match.group(1)}:{match.group(2)}" if match else None


def _tls_reason(chain: list[BaseException]) -> str:
    for cause in reversed(chain):
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"certificate verify failed ({cause.verify_message})"
        if isinstance(cause, ssl.SSLError):
            reason = str(cause.reason or cause).replace("_", " ").lower()
            if "wrong version number" in reason:
                return "wrong version number (is the server plain HTTP? use an http:// URL)"
            return reason
    return "handshake failed"
