"""What every view shares: who may open it, how a page or its partial is rendered, and paging."""
import json
from io import BytesIO
from math import ceil

from flask import abort, current_app, g, make_response, render_template, request, send_file, url_for
from flask_login import current_user
from jinja2_fragments.flask import render_block
from peewee import SQL, Join, Ordering, fn
from werkzeug.routing import IntegerConverter

from models.candidate import CASCADE, Candidate
from models.job import PROGRESS_EVERY, WAIT_SECONDS, Job
from models.normalise import MAX_INTEGER, FieldError, whole_number
from sheets.spec import without_control


def roles(*allowed):
    """Declare which roles may open a view. The app's access hook enforces it before the view runs."""
    def decorate(view):
        view.allowed_roles = frozenset(allowed)
        return view
    return decorate


def public(view):
    """Declare a view open to anonymous users (login, first-run setup)."""
    view.public = True
    return view


def allowed_roles(endpoint):
    """The roles that may open an endpoint; an undeclared view is open to nobody (fail closed)."""
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "allowed_roles", frozenset())


def can(endpoint):
    """Whether the current user may open an endpoint: templates use it to show only usable buttons (remembered
    for the request: a list asks once a row)."""
    return _can(g.setdefault("can", {}), endpoint)


def _can(known, endpoint):
    if endpoint not in known:
        known[endpoint] = (current_user.is_authenticated
                           and endpoint in current_app.view_functions
                           and current_user.role in allowed_roles(endpoint))
    return known[endpoint]


ROW_ID = 8_765_432_109  # an id no row has, the placeholder of row_url()


def row_url(endpoint, **values):
    """url_for(endpoint, **values) for one row of a list, where exactly one value is the row's id (an int).
    A page of 200 rows asks for ~1,000 URLs that differ by the id alone, and url_for costs ~10 µs: each
    endpoint's URL is built once per process (and place the app is mounted at) around a placeholder id, and
    each row's id put in its place."""
    return _row_url(_built_row_urls(), endpoint, values)


_ROW_URLS = {}  # script root -> {key: the URL's parts around the placeholder id}; keys come from templates


def _built_row_urls():
    if len(_ROW_URLS) > 8:  # the app is mounted at one place or two; never more kept than that
        _ROW_URLS.clear()
    return _ROW_URLS.setdefault(request.script_root, {})


def row_helpers():
    """can() and row_url() bound to this request's answers, for rendering a list's rows: looking `g` up was
    over half of what each of a row's six calls cost."""
    known, built = g.setdefault("can", {}), _built_row_urls()
    return {"can": lambda endpoint: _can(known, endpoint),
            "row_url": lambda endpoint, **values: _row_url(built, endpoint, values)}


def _row_url(built, endpoint, values):
    key, ident, id_name = [endpoint], None, None
    for name, value in values.items():
        if type(value) is not int:
            key.append((name, value))
        elif ident is None:
            key.append(name)
            ident, id_name = value, name
        else:
            return url_for(endpoint, **values)  # two ids: no placeholder
    if ident is None:
        return url_for(endpoint, **values)
    parts = built.get(key := tuple(key))
    if parts is None:
        parts = built[key] = url_for(endpoint, **dict(values, **{id_name: ROW_ID})).split(str(ROW_ID))
    if len(parts) != 2:
        return url_for(endpoint, **values)
    return f"{parts[0]}{ident}{parts[1]}"


def me():
    """The logged-in user itself (not flask-login's proxy): what a model records as the one who acted."""
    return current_user._get_current_object()


class IdConverter(IntegerConverter):
    """`<int:...>` in a route: an id no database column can hold is a 404, not an OverflowError."""
    regex = r"\d{1,19}"

    def __init__(self, map, *args, **kwargs):
        super().__init__(map, *args, **{"max": MAX_INTEGER, **kwargs})


def get_or_404(query, record_id):
    """The row with this id of a model or of a query (e.g. the rows a user may see), else 404."""
    query = query.select() if isinstance(query, type) else query
    record_id = whole_number(record_id)
    found = None if record_id is None else query.where(query.model.id == record_id).first()
    return found or abort(404)


# Characters of a list's search or filter that are used: more is nobody's search, and SQLite refuses a
# LIKE pattern of 50,000 characters ("LIKE or GLOB pattern too complex").
MAX_SEARCH = 100


class Filters(dict):
    """A list page's filters by name; `cut` names those that were longer than MAX_SEARCH characters and are
    searched by their first MAX_SEARCH; `invalid` holds (label, value) of each value a filter with a fixed
    set of values does not have, dropped. The list says both (filter_notes() in templates/_widget.html)."""
    limit = MAX_SEARCH
    cut = ()
    invalid = ()


def list_filters(names, args=None, known=None):
    """A list page's filters from the query string (or `args`): each named one trimmed, "" when absent, and
    cut to MAX_SEARCH characters; control characters, which no list holds, are dropped. `known` maps a
    filter with a fixed set of values (a status, 有/无照片) to (its label, those values): another value,
    from an old bookmark or a typed URL, is dropped and named in `invalid` rather than ignored unsaid."""
    args = request.args if args is None else args
    filters = Filters((name, without_control(args.get(name, "")).strip()) for name in names)
    filters.cut = [name for name, value in filters.items() if len(value) > MAX_SEARCH]
    for name in filters.cut:
        filters[name] = filters[name][:MAX_SEARCH]
    filters.invalid = []
    for name, (label, values) in (known or {}).items():
        if filters[name] and filters[name] not in values:
            filters.invalid.append((label, filters[name]))
            filters[name] = ""
    return filters


def cascade(filters):
    """The 院系 → 专业 → 班级 choices a list's `filters` allow, each narrowed by those chosen before it, and
    whether a 专业 or 班级 the request named was cleared in `filters` as one the chosen 院系 lacks
    (Candidate.cascade_choices): then the address htmx is about to push still names it, and the list
    pushes the one it shows instead. 考生管理, 颁证名单 and 颁证前检查 share it."""
    choices = Candidate.cascade_choices(filters)
    cleared = any(request.args.get(name, "").strip() and not filters[name] for name in CASCADE if name in filters)
    return choices, cleared


def given(args):
    """The arguments that hold a value: what a link carries and an audit event names."""
    return {key: value for key, value in args.items() if value}


def in_words(words):
    """A list's filters, as (label, value) pairs of those set, the way the audit log names a download of it:
    状态：认证通过；院系：信息工程学院 ("" for none)."""
    return "；".join(f"{label}：{value}" for label, value in words)


def id_list(values):
    """The ids among form or URL values (ticked rows); anything else, or out of range, is left out."""
    return [number for number in map(whole_number, values) if number is not None]


def posted(form, save):
    """A submitted form cleaned by its declaration and, when every field passes, handed to `save(values)`, a
    model call whose refusal is a FieldError keyed by field: (raw, errors, what save returned)."""
    raw = form.read(request.form)
    values, errors = form.clean(raw)
    try:
        return raw, errors, None if errors else save(values)
    except FieldError as exc:
        return raw, exc.as_errors(), None


def wants_partial():
    return bool(request.htmx) and not request.htmx.history_restore_request


def render(template, block=None, status=200, headers=None, **context):
    """Render a page, or only `block` of it when htmx asks; the response varies on HX-Request."""
    if block and wants_partial():
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    response = make_response(body, status, headers or {})
    response.vary.add("HX-Request")
    return response


# The page sizes a list offers (每页 20 / 50 / 100 / 200 条), kept in the URL as `per_page`.
PAGE_SIZES = (20, 50, 100, 200)


class Page:
    """One page of a query's results (or of a list already read, or of a reader of rows by position given
    their `total`), with what a pager needs. `size` is the list's usual page size: a URL that asks for it
    carries no `per_page`. `total` is the number of results when the caller has counted them already (e.g.
    in its counts per status). With `count_limit` the results are counted up to that many only (`more`
    says there are more), unless the page asked for lies beyond."""

    def __init__(self, query, page, per_page=50, size=None, total=None, count_limit=None, plan=None):
        bounded = count_limit is not None and page * per_page <= count_limit
        if total is None:
            total = len(query) if isinstance(query, list) else count_rows(query, count_limit + 1 if bounded else None)
        self.more = bounded and total > count_limit
        self.total = count_limit if self.more else total
        self.per_page = per_page
        self.size = size or per_page
        self.pages = max(1, ceil(self.total / per_page))
        self.page = min(max(1, page), self.pages)
        # 跳转 past the end shows the last page, and the pager says so (the browser's own check is off).
        self.beyond = page if page > self.pages and not self.more else None
        # Counted only up to the limit, the end is not known: no reading from it.
        end = None if self.more else self.total
        if plan is not None:
            query = plan(_rows_through(self.page, per_page, end))
        self.items = _page_items(query, self.page, per_page, end)

    @property
    def has_prev(self):
        return self.page > 1

    @property
    def has_next(self):
        return self.page < self.pages or self.more

    @property
    def sizes(self):
        return sorted({*PAGE_SIZES, self.size})

    @property
    def size_arg(self):
        """What a link keeps of the page size: nothing when it is the list's usual one."""
        return {} if self.per_page == self.size else {"per_page": self.per_page}


def paged(query, size=50, **counted):
    """The page of `query` that the URL's `page` and `per_page` ask for; a page size not offered, or a page
    that is not a number, falls back to the list's size and page 1 (a page past the end shows the last).
    `counted`: Page's total or count_limit, and its `plan`: a function of how many rows of the order the page
    is read through (from whichever end) that gives the query to read it with."""
    per_page = request.args.get("per_page", size, type=int)
    page = Page(query, page_arg(), per_page if per_page in PAGE_SIZES else size, size, **counted)
    # For the note above the list (page_note() in templates/_widget.html), which every list's filter_notes()
    # draws: a page past the end is said where the eye is after 跳转, not in the pager at the list's foot.
    g.list_page = page
    return page


def count_rows(query, limit=None):
    """The number of rows a query gives (at most `limit`), as a plain COUNT(*) over its conditions: peewee's
    count() wraps the whole select in a subquery, which made SQLite count 1,000,000 rows one by one where
    COUNT(*) of a table or an index range is read from the b-tree (0.1 ms instead of 22 ms)."""
    query = query.clone().order_by()
    if limit is not None:
        return query.model.select(fn.COUNT(SQL("*"))).from_(query.select(SQL("1")).limit(limit).alias("n")).scalar()
    if query._group_by or query._distinct or query._limit is not None or query._offset:
        return query.count()
    return query.select(fn.COUNT(SQL("*"))).scalar()


def _from_start(page, per_page, total):
    return total is None or (page - 1) * per_page <= total // 2


def _rows_through(page, per_page, total):
    """How many rows of the list's order reading a page goes through, from the end it is read from."""
    return page * per_page if _from_start(page, per_page, total) else total - (page - 1) * per_page


def _page_items(query, page, per_page, total):
    """A page's rows. A page in the second half is read in the reverse order from the end, so the last page
    of 1,000,000 rows skips 0 rows instead of 999,950 (each list's order ends with its unique id). A list
    is sliced, and a reader of rows by position (with `rows(start, stop)`, e.g. the roster's) asked."""
    if isinstance(query, list):
        return query[(page - 1) * per_page:page * per_page]
    if hasattr(query, "rows"):
        return query.rows((page - 1) * per_page, page * per_page)
    if _from_start(page, per_page, total) or not query._order_by:
        return _rows_at(query, (page - 1) * per_page, per_page)
    start, end = (page - 1) * per_page, min(page * per_page, total)
    return _rows_at(query.clone().order_by(*map(_reverse, query._order_by)), total - end, end - start)[::-1]


SKIPPED_BY_ID = 5000  # rows skipped past which a page reads its ids first
# The same for a query joined to other tables (a row's names): its ids first from the second page on. Rows skipped
# or sorted are joined too (PostgreSQL joined a certificate level's 6,700 records to their candidates to sort them
# for page 67: 91 ms; their ids alone, 19 ms), where a LEFT OUTER JOIN that gives no column is left out of the ids.
# Not the first page: PostgreSQL planned the two queries in ~0.5 ms more than the one (1.5 against 1.0 ms).
JOINED_SKIPPED_BY_ID = 1


def _rows_at(query, offset, limit):
    """`limit` rows of `query` from position `offset`. Deep in a list (or in a joined list) the page's ids are
    read first, then their rows: skipping 50,000 candidates read each one's table row for nothing (9.4 ms on
    SQLite) where the sort's index alone gives the ids (1.4 ms). The ids keep the query's conditions, joins
    and order; the rows are read by id alone."""
    joined = any(isinstance(source, Join) for source in query._from_list)
    if (offset < (JOINED_SKIPPED_BY_ID if joined else SKIPPED_BY_ID) or not query._order_by or query._group_by
            or query._distinct):
        return list(query.clone().limit(limit).offset(offset))
    ids = query.clone().select(query.model.id).limit(limit).offset(offset)
    rows = query.clone().limit(limit).offset(None)
    rows._where = query.model.id.in_(ids)
    return list(rows)


def _reverse(order):
    """ORDER BY a DESC ↔ a ASC: the exact reverse order (each database puts NULL at the same end in both
    directions unless NULLS FIRST/LAST says otherwise, which flips too)."""
    if not isinstance(order, Ordering):
        return Ordering(order, "DESC")
    nulls = {"FIRST": "LAST", "LAST": "FIRST"}.get((order.nulls or "").upper())
    return Ordering(order.node, "ASC" if order.direction.upper() == "DESC" else "DESC", order.collation, nulls)


def page_arg():
    return request.args.get("page", 1, type=int) or 1


def hx_events(after_swap=False, **events):
    """An HX-Trigger header; a `notice` given as (text, kind) becomes the toast static/app.js shows.
    `after_swap`: the events fire once the response is on the page (HX-Trigger-After-Swap), not before it."""
    if "notice" in events:
        text, kind = events["notice"]
        events["notice"] = {"value": text, "kind": kind}
    # Header values must be ASCII: json.dumps escapes the Chinese text.
    return {"HX-Trigger-After-Swap" if after_swap else "HX-Trigger": json.dumps(events)}


def polling():
    """Whether the request is a status block's polling request, which waits for its job: `wait=1`. The
    photo status named it `poll=1` before; a page loaded then still sends that, so it is accepted too."""
    return request.args.get("wait") == "1" or request.args.get("poll") == "1"


def wait_for_job(job_id, outcome=None, seconds=WAIT_SECONDS, redraw=PROGRESS_EVERY):
    """Hold a status block's polling request until its job ends or moves (after `redraw` seconds), or
    `outcome()` says what the block shows is stored (Job.wait, at most `seconds`), so a result shows as soon as
    it exists; returns the hx-trigger of the block rendered next: ask again at once, or after a pause when too
    many requests are waiting already (each holds a server thread)."""
    shown = request.args.get("progress", 0, type=int)
    waited = Job.wait(job_id, shown, seconds=seconds, limit=current_app.config.get("JOBS_MAX_WAITERS", 4),
                      outcome=outcome, redraw=redraw)
    return "load" if waited else "load delay:1s"


def refused(message, back=None):
    """A refused action (409): htmx shows the plain-text message as a notice (static/app.js); an address
    opened directly (a bookmark, a link in a new tab) gets CertDesk's page saying it, with a way `back`
    ((url, label); 首页 by default)."""
    if request.htmx:
        return str(message), 409, {"Content-Type": "text/plain; charset=utf-8"}
    return render("errors/error.html", status=409, message=str(message), back=back)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_response(body, name):
    """A workbook as a download; `body` is its bytes or an open file, `name` the file name with .xlsx."""
    return send_file(BytesIO(body) if isinstance(body, bytes) else body, mimetype=XLSX, as_attachment=True,
                     download_name=name)
