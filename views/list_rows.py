"""A list's rows rendered once per content: the same candidate shows on the first page, its status tab, its 院系
and every search that finds it, and rendering 50 rows was a third of a list request's CPU time."""
from flask import current_app, request
from flask_login import current_user
from markupsafe import Markup

# Rows kept per server process: ~2 KB each with their key, so ~10 MB at most.
LIMIT = 5000
_rendered = {}


def list_rows(template_name, rows):
    """`template_name` rendered for each of `rows` (models read with a list's columns) as `c`. The key is
    everything a row template may read: the row's values as read, the user's role (what can() answers)
    and where the app is mounted (what row_url() answers). A changed row has another key, so a row shown is
    never stale."""
    template = current_app.jinja_env.get_template(template_name)
    asked = (template, current_user.role, request.script_root)
    shown = []
    for row in rows:
        key = (*asked, *row.__data__.items())
        html = _rendered.pop(key, None)
        if html is None:
            html = Markup(template.render(c=row))
            if len(_rendered) >= LIMIT:
                # The row shown longest ago goes (dicts keep their order); another thread may have taken it.
                _rendered.pop(next(iter(_rendered), None), None)
        _rendered[key] = html  # put last: the rows shown most recently are the last to go
        shown.append(html)
    return shown
