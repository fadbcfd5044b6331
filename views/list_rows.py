"""What a list renders once per content and keeps: its rows (the same candidate shows on the first page, its
status tab, its 院系 and every search that finds it; rendering 50 rows was a third of a list request's CPU
time) and its filter selects (a few hundred 班级 options, sent out of band with every page turned)."""
import threading

from flask import current_app, request
from flask_login import current_user
from markupsafe import Markup

from views import row_helpers


class Kept:
    """Renderings kept by a key naming everything they show, the one shown longest ago dropped past `limit`.
    Waitress's threads share them: taking the oldest out while another thread added one raised "dictionary
    changed size during iteration", and two threads dropping the same one let the dict grow."""

    def __init__(self, limit):
        self.limit = limit
        self.rendered = {}
        self._lock = threading.Lock()

    def get(self, key, render):
        with self._lock:
            html = self.rendered.pop(key, None)
            if html is not None:
                self.rendered[key] = html  # put last: the ones shown most recently are the last to go
                return html
        html = render()  # outside the lock
        with self._lock:
            self.rendered[key] = html
            while len(self.rendered) > self.limit:
                del self.rendered[next(iter(self.rendered))]
        return html


# Per server process: a row is ~5 KB with its key (the HTML is Chinese text), so ~10 MB at most; a select
# of 300 班级 ~15 KB, so ~3 MB.
ROWS = Kept(2000)
SELECTS = Kept(200)


def list_rows(template_name, rows, name="c"):
    """`template_name` rendered for each of `rows` (models read with a list's columns, and the rows joined
    to them) as `name`. The key is everything a row template may read: the row's values as read and those
    of the rows joined, the user's role (what can() answers) and where the app is mounted (what row_url()
    answers). A changed row has another key, so a row shown is never stale."""
    template = current_app.jinja_env.get_template(template_name)
    asked = (template, current_user.role, request.script_root)
    helpers = row_helpers()
    return [ROWS.get((*asked, *row.__data__.items(),
                      *((joined, *other.__data__.items()) for joined, other in row.__rel__.items())),
                     lambda row=row: render_row(template, {name: row, **helpers}))
            for row in rows]


def render_row(template, names):
    """The template rendered with these names alone (a shared context): a full one copies every global of
    the app, which was a third of what a row cost."""
    context = template.new_context(names, shared=True)
    try:
        return Markup(template.environment.concat(template.root_render_func(context)))
    except Exception:  # noqa: BLE001 (re-raised with the template's lines, as Template.render does)
        template.environment.handle_exception()


def kept(macro, *args, **kwargs):
    """`macro(*args, **kwargs)` for a macro whose output depends on its arguments alone (plain values, and
    lists or tuples of them), rendered once per process for the same arguments. A URL's filter values are
    among them: at most SELECTS' limit are kept, whatever is asked."""
    try:
        # The macro's code (Jinja's Macro keeps its function in _func): the same macro of a reloaded template
        # is another one.
        key = (macro._func.__code__, _frozen(args), _frozen(sorted(kwargs.items())))
        hash(key)
    except (TypeError, AttributeError):  # an argument that cannot be a key (a dict), another Jinja: not kept
        return macro(*args, **kwargs)
    return SELECTS.get(key, lambda: macro(*args, **kwargs))


def _frozen(value):
    return tuple(map(_frozen, value)) if isinstance(value, (list, tuple)) else value
