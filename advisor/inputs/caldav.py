"""Live calendars over CalDAV, read with the `caldav` library (the optional extra `[caldav]`).

A calendar collection's events are fetched in one REPORT and handed over as iCalendar text,
to be read like an exported .ics file. Credentials never come from the command line: the
user name is given, the password is read from ADVISOR_CALDAV_PASSWORD or ~/.netrc. They are
never sent over plain http:// except to this machine (loopback): such a URL is refused, and so
is a server's redirect to one. Every request has a time limit, and every answer
is read under the size of a calendar file (MAX_FILE_BYTES): a larger one is refused while it
arrives, before it is held in memory. Whatever goes wrong is one line naming the URL:
unreachable, refused credentials, no calendar there, too slow, too large.
"""
from __future__ import annotations

import os
from typing import Any, Callable, List, Optional, Tuple
from urllib.parse import urljoin, urlsplit

from advisor.errors import InputError, Problem
from advisor.inputs.calendar import MAX_FILE_BYTES
from advisor.inputs.hosts import url_is_loopback

PASSWORD_VARIABLE = "ADVISOR_CALDAV_PASSWORD"
TIMEOUT_SECONDS = 30


def password_for(url: str, user: Optional[str]) -> Optional[str]:
    """The password for `url`: $ADVISOR_CALDAV_PASSWORD, else ~/.netrc's entry for its host."""
    if os.environ.get(PASSWORD_VARIABLE):
        return os.environ[PASSWORD_VARIABLE]
    import netrc

    host = urlsplit(url).hostname or ""
    try:
        entry = netrc.netrc().authenticators(host)
    except (OSError, netrc.NetrcParseError):
        return None
    if entry is None or (user is not None and entry[0] and entry[0] != user):
        return None
    return entry[2]


class _TooLarge(Exception):
    """An answer over the size limit, refused while it was read."""


class _PlainRedirect(Exception):
    """A redirect to plain http:// elsewhere than this machine, refused before it is followed."""


def _bounded(max_bytes: int) -> Callable[..., Any]:
    """A response hook of the HTTP client that reads each answer's body itself, at most `max_bytes`
    of it (decoded, so a compressed answer is bounded too). The client calls its hooks before it
    reads a body, and uses what the hook read as the body."""
    def read_body(response: Any, *args: Any, **kwargs: Any) -> Any:
        if response.is_redirect:
            target = urljoin(response.url, response.headers["location"])
            if urlsplit(target).scheme.lower() != "https" and not url_is_loopback(target):
                response.close()
                raise _PlainRedirect()
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            response.close()
            raise _TooLarge()
        chunks, size = [], 0
        for chunk in response.iter_content(64 * 1024):
            size += len(chunk)
            if size > max_bytes:
                response.close()
                raise _TooLarge()
            chunks.append(chunk)
        response._content = b"".join(chunks)  # the body, read; the client's own reading is then skipped
        return response

    return read_body


def fetch_calendars(url: str, user: Optional[str], password: Optional[str], *,
                    timeout: float = TIMEOUT_SECONDS, max_bytes: int = MAX_FILE_BYTES) -> List[Tuple[str, bytes]]:
    """The iCalendar text of the calendar collection at `url`, as (url, bytes), or InputError."""
    scheme = urlsplit(url).scheme.lower()
    if scheme not in ("https", "http") or (scheme == "http" and not url_is_loopback(url)):
        raise InputError([Problem(url, "expected an https:// URL (http:// only to this machine): credentials are "
                                       "never sent in the clear")])
    if user is not None and password is None:
        raise InputError([Problem(url, f"no password for {user}: set {PASSWORD_VARIABLE} or add the host to "
                                       "~/.netrc")])
    try:
        import caldav
        from caldav.lib import error as dav_error
    except ImportError:
        raise InputError([Problem(url, "reading CalDAV needs the caldav extra: pip install "
                                       "'meeting-advisor[caldav]'")]) from None
    try:
        connect: Any = caldav.DAVClient  # the library's types do not say it is callable
        with connect(url=url, username=user, password=password, timeout=int(timeout)) as client:
            client.session.hooks["response"].append(_bounded(max_bytes))
            events = client.calendar(url=url).events()
            texts = [event.data.encode("utf-8") if isinstance(event.data, str) else bytes(event.data or b"")
                     for event in events]
    except _TooLarge:
        raise InputError([Problem(url, f"the calendar sent more than {max_bytes:,} bytes: audit a smaller "
                                       "calendar, or export it by date range")]) from None
    except _PlainRedirect:
        raise InputError([Problem(url, "the server redirected to a plain http:// address: credentials are never "
                                       "sent in the clear")]) from None
    except dav_error.AuthorizationError:
        raise InputError([Problem(url, "the server refused the user name or password")]) from None
    except dav_error.NotFoundError:
        raise InputError([Problem(url, "no calendar at this URL")]) from None
    except Exception as error:  # the library's and the HTTP client's many ways of failing, each one line
        raise InputError([Problem(url, f"cannot read the calendar: {_reason(error)}")]) from None
    joined = b"\r\n".join(texts) if texts else b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
    return [(url, joined)]


def _reason(error: Exception) -> str:
    name = type(error).__name__
    text = str(error).strip().splitlines()[0][:160] if str(error).strip() else ""
    if "timeout" in name.lower() or "timed out" in text.lower():
        return f"no answer within {TIMEOUT_SECONDS} s"
    if "connect" in name.lower() or "connection" in text.lower():
        return f"the server cannot be reached ({text or name})"
    return f"{name}: {text}" if text else name
