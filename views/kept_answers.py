"""A list's htmx answer kept whole by each server process until the database changes. Staff ask for the same
few answers again and again (a status tab, their 院系, a search they repeat): while nobody writes, the
answer to the same URL is the same, and building it again was most of a request's CPU time."""
import threading

from flask import current_app, request
from flask_login import current_user

from models.unchanged import generation

from . import wants_partial

LIMIT = 32  # answers a process keeps: ~100 KB each at 50 rows, at most MAX_BODY
MAX_BODY = 512 * 1024  # a page of 200 rows is ~400 KB
MAX_QUERY = 1024  # bytes of query string: more is no URL staff repeat

_lock = threading.Lock()
_kept = {}  # (endpoint, role, script root, query string) -> (generation, body, status, headers)


def kept_partial(answer):
    """The response `answer()` returns for an htmx request, kept for the same URL and role until the
    database changes. Only for a view whose partial depends on nothing else: the URL's query string, the
    user's role (which buttons it shows) and where the app is mounted (its links); never the user, the
    session or the time."""
    keep = request.method == "GET" and wants_partial() and len(request.query_string) <= MAX_QUERY
    at = generation() if keep else None
    if at is None:  # a full page (it carries the session's CSRF token), or within a transaction
        return answer()
    key = (request.endpoint, current_user.role, request.script_root, request.query_string)
    found = _kept.get(key)
    if found is not None and found[0] == at:
        return current_app.response_class(found[1], found[2], found[3])
    response = answer()
    if response.status_code == 200 and not response.direct_passthrough:
        body = response.get_data()
        if len(body) <= MAX_BODY:
            with _lock:
                if len(_kept) >= LIMIT:  # those of an earlier generation are never given again: they go first
                    for stale in [k for k, (kept_at, *_) in _kept.items() if kept_at != at]:
                        del _kept[stale]
                if len(_kept) >= LIMIT:
                    _kept.clear()
                # Kept at the generation looked at before reading: a change meanwhile makes it stale at once.
                _kept[key] = (at, body, response.status_code, list(response.headers.items()))
    return response


def forget_all():
    """Drop every answer kept (a test that counts a request's queries)."""
    _kept.clear()
