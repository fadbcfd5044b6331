"""The rows of 考生管理 and 待颁证记录 kept rendered by their content (views/list_rows.py): a row kept is never
stale (待颁证记录's neither when its candidate, certificate or site changes), differs by what can() answers,
and the rows kept are bounded."""
import re

import pytest

from models.award import AwardRecord
from models.candidate import Candidate
from models.catalog import Certificate
from models.site import Site
from models.user import REVIEWER, STAFF
from tests.test_awards import record  # noqa: F401 (a fixture)
from tests.test_candidate_search import add  # noqa: F401 (a fixture)
from tests.test_candidates import staff  # noqa: F401 (a fixture)
from views import list_rows

HX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def nothing_kept():
    for kept in (list_rows.ROWS, list_rows.SELECTS):
        kept.rendered.clear()
    yield
    for kept in (list_rows.ROWS, list_rows.SELECTS):
        kept.rendered.clear()


def rows(client, **query):
    body = client.get("/candidates/", query_string=query, headers=HX).get_data(as_text=True)
    return re.findall(r'<tr id="candidate-\d+">.*?</tr>', body, re.S)


def test_a_row_kept_rendered_shows_the_candidate_as_it_is_now(client, staff, add):
    candidate = add("张三")
    assert "张三" in rows(client)[0] and "待认证" in rows(client)[0]
    Candidate.update(name="张四", status="认证通过").where(Candidate.id == candidate.id).execute()
    [row] = rows(client)
    assert "张四" in row and "张三" not in row
    assert "认证通过" in row and "人工确认" in row and ">认证</button>" not in row


def test_rows_kept_are_the_rows_rendered_afresh(client, staff, add):
    for i in range(30):
        add(f"学生{i}", department="信息工程学院" if i % 2 else "机电工程学院", photo="ab/x.jpg" if i % 3 else "")
    fresh = rows(client, per_page=50)
    assert len(fresh) == 30 and list_rows.ROWS.rendered
    assert rows(client, per_page=50) == fresh  # every row from what was kept
    kept = rows(client, department="信息工程学院")
    list_rows.ROWS.rendered.clear()
    assert rows(client, department="信息工程学院") == kept


def test_a_row_kept_for_one_role_is_not_shown_to_another(client, staff, add, login, monkeypatch):
    add("张三", photo="ab/x.jpg")
    # Were staff not allowed the photos, they would see 有 where an administrator sees the thumbnail.
    monkeypatch.setattr("views.photos.image.allowed_roles", frozenset({"admin"}))
    assert 'class="thumb"' not in rows(client)[0] and ">有</span>" in rows(client)[0]
    login("admin")
    assert 'class="thumb"' in rows(client)[0]


def award_rows(client):
    body = client.get("/awards/", headers=HX).get_data(as_text=True)
    return re.findall(r'<tr id="award-\d+">.*?</tr>', body, re.S)


def test_a_record_kept_rendered_shows_its_candidate_certificate_and_site_as_they_are_now(client, login, record):
    login(STAFF)
    [row] = award_rows(client)
    assert "李四" in row and "Web前端开发" in row and "信息楼机房" in row and "待审核" in row
    assert award_rows(client) == [row] and list_rows.ROWS.rendered  # kept
    Candidate.update(name="李五").where(Candidate.id == record.candidate_id).execute()
    Certificate.update(name="Web前端开发（新版）").where(Certificate.id == record.certificate_id).execute()
    Site.update(name="实训楼机房").where(Site.id == record.site_id).execute()
    [row] = award_rows(client)
    assert "李五" in row and "Web前端开发（新版）" in row and "实训楼机房" in row
    AwardRecord.update(status="已颁证", certificate_number="WEB2026000001").where(AwardRecord.id == record.id).execute()
    [row] = award_rows(client)
    assert "已颁证" in row and "WEB2026000001" in row


def test_a_record_kept_for_staff_is_not_shown_to_a_reviewer(client, login, record):
    login(STAFF)
    assert "颁证</button>" not in award_rows(client)[0] and "candidates/" in award_rows(client)[0]
    login(REVIEWER)
    [row] = award_rows(client)
    assert "颁证</button>" in row and "退回</button>" in row and "candidates/" not in row


def test_the_rows_kept_are_bounded(client, staff, add, monkeypatch):
    monkeypatch.setattr(list_rows.ROWS, "limit", 5)
    for i in range(12):
        add(f"学生{i}")
    assert len(rows(client)) == 12
    assert len(list_rows.ROWS.rendered) == 5
    assert len(rows(client)) == 12  # the rows no longer kept are rendered again


def test_rows_kept_stay_bounded_when_many_threads_render_at_once(app, monkeypatch):
    import sys
    import threading
    from types import SimpleNamespace

    monkeypatch.setattr(list_rows.ROWS, "limit", 50)
    monkeypatch.setattr(list_rows, "current_user", SimpleNamespace(role="staff"))
    monkeypatch.setattr(list_rows, "current_app", SimpleNamespace(jinja_env=SimpleNamespace(
        get_template=lambda name: "row")))
    monkeypatch.setattr(list_rows, "render_row", lambda template, names: f"<tr>{names['c'].__data__['id']}</tr>")
    errors, interval = [], sys.getswitchinterval()

    def show(start):
        try:
            with app.test_request_context():
                for i in range(200):
                    rows = [SimpleNamespace(__data__={"id": (start + i + j) % 120}, __rel__={}) for j in range(5)]
                    assert [str(html) for html in list_rows.list_rows("row", rows)] == \
                        [f"<tr>{row.__data__['id']}</tr>" for row in rows]
        except Exception as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)
    sys.setswitchinterval(1e-6)  # threads switch as often as they can
    try:
        threads = [threading.Thread(target=show, args=(n * 15,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert errors == [] and len(list_rows.ROWS.rendered) <= 50


def selects(client, hx=True, **query):
    body = client.get("/candidates/", query_string=query, headers=HX if hx else {}).get_data(as_text=True)
    return {name: re.search(rf'<select name="{name}".*?</select>', body, re.S).group(0)
            for name in ("department", "major", "class_name")}


def test_filter_selects_kept_show_the_choices_as_they_are_now(client, staff, add):
    add("张三", department="信息工程学院", major="软件技术", class_name="软件2301")
    add("李四", department="机电工程学院", major="机电一体化", class_name="机电2301")
    for hx in (True, False):  # out of band with each page turned, and in the full page
        first = selects(client, hx, department="信息工程学院")
        assert "软件2301" in first["class_name"] and "机电2301" not in first["class_name"]
        assert 'value="信息工程学院" selected' in first["department"]
        assert selects(client, hx, department="信息工程学院") == first and list_rows.SELECTS.rendered
        list_rows.SELECTS.rendered.clear()
        assert selects(client, hx, department="信息工程学院") == first  # kept == rendered afresh
    add("王五", department="信息工程学院", major="软件技术", class_name="软件2302")
    assert "软件2302" in selects(client, department="信息工程学院")["class_name"]
    chosen = selects(client, department="信息工程学院", class_name="软件2302")["class_name"]
    assert 'value="软件2302" selected' in chosen and 'value="软件2301" selected' not in chosen
    assert 'value="" selected' in selects(client, department="信息工程学院")["class_name"]


def test_kept_renders_a_macro_once_for_the_same_arguments(app):
    calls = []

    class Macro:  # what kept() reads of Jinja's Macro: its function
        def _func(self):
            pass

        def __call__(self, *args, **kwargs):
            calls.append(args)
            return f"<select>{args}{kwargs}</select>"
    macro = Macro()
    macro._func = Macro._func
    assert list_rows.kept(macro, "class_name", ["软件2301"], "", oob=True) == \
        list_rows.kept(macro, "class_name", ("软件2301",), "", oob=True)
    assert len(calls) == 1
    list_rows.kept(macro, "class_name", ["软件2301", "软件2302"], "", oob=True)
    list_rows.kept(macro, "class_name", ["软件2301"], "软件2301", oob=True)
    list_rows.kept(macro, {"a": 1})  # not a key: rendered each time
    list_rows.kept(macro, {"a": 1})
    assert len(calls) == 5


def test_a_rows_links_follow_where_the_app_is_mounted(client, staff, add):  # noqa: F811
    add("张三")
    mounted = client.get("/candidates/", headers=HX, environ_overrides={"SCRIPT_NAME": "/certdesk"})
    [row] = re.findall(r'<tr id="candidate-\d+">.*?</tr>', mounted.get_data(as_text=True), re.S)
    assert re.findall(r'(?:href|hx-get|hx-post|hx-delete)="([^"]+)"', row)
    assert all(url.startswith("/certdesk/") for url in re.findall(r'(?:href|hx-get|hx-post|hx-delete)="([^"]+)"', row))
    [row] = rows(client)
    assert not any(url.startswith("/certdesk") for url in re.findall(r'(?:href|hx-get|hx-post|hx-delete)="([^"]+)"', row))
