"""A list's rows rendered once per content: the same candidate shows on the first page, its status tab, its 院系
and every search that finds it, and rendering 50 rows was a third of a list request's CPU time."""
import threading

from flask import current_app, request
from flask_login import current_user
from markupsafe import Markup

# Rows kept per server process: ~5 KB each with their key (the HTML is Chinese text), so ~10 MB at most.
LIMIT = 2000
_rendered = {}
# Waitress's threads share the rows kept: taking the oldest out while another thread adds one raised
# "dictionary changed size during iteration", and two threads evicting the same row let the dict grow.
_lock = threading.Lock()


def list_rows(template_name, rows, name="c"):
    """`template_name` rendered for each of `rows` (models read with a list's columns, and the rows joined
    to them) as `name`. The key is everything a row template may read: the row's values as read and those
    of the rows joined, the user's role (what can() answers) and where the app is mounted (what row_url()
    answers). A changed row has another key, so a row shown is never stale."""
    template = current_app.jinja_env.get_template(template_name)
    asked = (template, current_user.role, request.script_root)
    shown = []
    for row in rows:
        key = (*asked, *row.__data__.items(),
               *((joined, *other.__data__.items()) for joined, other in row.__rel__.items()))
        with _lock:
            html = _rendered.pop(key, None)
            if html is not None:
                _rendered[key] = html  # put last: the rows shown most recently are the last to go
        if html is None:
            html = Markup(template.render({name: row}))  # rendered outside the lock
            with _lock:
                _rendered[key] = html
                while len(_rendered) > LIMIT:
                    del _rendered[next(iter(_rendered))]  # the row shown longest ago
        shown.append(html)
    return shown
