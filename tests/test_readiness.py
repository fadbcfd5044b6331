"""颁证前检查 for hundreds: the summary counted by the first missing precondition, each count a link listing
exactly those candidates, a paged table, 只看未就绪, the export; computed set-based."""
import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook

from models import unchanged
from models.audit import AuditEvent
from models.award import RETURNED, SUBMITTED, AwardRecord
from models.candidate import ACCURATE, PENDING, VERIFIED, Candidate
from models.db import db
from models.quota import Quota
from models.pilot import PilotCertificate
from models.readiness import (ACCURATE_INFO, CONDITIONS, NOT_READY, ONCE, PILOT, QUOTA_LEFT, READY, SITE_USABLE,
                              Readiness, readiness_summary, selection, selection_counts)
from models.site import INACTIVE, Site
from models.user import REVIEWER, STAFF
from tests import sheetfiles as sf

TODAY = date(2026, 11, 29)
DEPARTMENT = "信息工程学院"


def college(size, world):
    """`size` candidates of 信息工程学院 in classes of 50: every tenth 认证通过, every tenth 待认证, the rest
    信息准确; of those, one in ten already holds a 待审核 record and one in ten a returned one (which does
    not count). Returns {group: ids} as the rules say they fall."""
    statuses = {0: VERIFIED, 1: PENDING}
    rows = [{"name": f"考生{i:03d}", "id_type": "居民身份证", "id_number": sf.id_number(i, area="410103"),
             "gender": "男", "phone": "13812345678", "department": DEPARTMENT, "class_name": f"计应{i // 50:02d}班",
             "status": statuses.get(i % 10, ACCURATE), "photo": "ab/x.jpg"} for i in range(size)]
    with db.atomic():
        Candidate.bulk_add(rows)
    ids = {c.id_number: c.id for c in Candidate.select().where(Candidate.department == DEPARTMENT)}
    groups = {READY: set(), ACCURATE_INFO.key: set(), ONCE.key: set()}
    records = []
    for i, row in enumerate(rows):
        candidate_id = ids[row["id_number"]]
        if row["status"] != ACCURATE:
            groups[ACCURATE_INFO.key].add(candidate_id)
            continue
        held = {2: SUBMITTED, 12: RETURNED}.get(i % 20)
        if held:
            records.append({"candidate": candidate_id, "certificate": world["cert"].id, "level": "中级",
                            "site": world["site"].id, "exam_date": date(2026, 3, 1), "status": held})
        groups[ONCE.key if held == SUBMITTED else READY].add(candidate_id)
    with db.atomic():
        AwardRecord.bulk_add(records)
    Quota.update(amount=1000).execute()
    return groups


def url(world, **args):
    query = "&".join(f"{k}={v}" for k, v in dict(pair=f"{world['cert'].id}|中级", department=DEPARTMENT, **args).items())
    return f"/awards/readiness?{query}"


def listed(client, link):
    """The candidate ids a 颁证前检查 link lists, over all its pages."""
    ids, page = [], 1
    while True:
        body = client.get(f"{link}&page={page}").get_data(as_text=True)
        table = body[body.index("<tbody>"):body.index("</tbody>")]
        ids += [int(i) for i in re.findall(r'<td><a href="/candidates/(\d+)">', table)]
        if "下一页" not in body:
            return ids
        page += 1


def test_readiness_at_500_candidates_renders_one_page_with_a_summary_whose_links_list_exactly_their_count(
        client, login, world):
    login(STAFF)
    groups = college(500, world)
    body = client.get(url(world)).get_data(as_text=True)
    assert "共 500 名考生" in body and "共 500 名考生，第 1 / 10 页" in body
    assert body[body.index("<tbody>"):body.index("</tbody>")].count("<tr>") == 50
    summary = body[body.index('class="panel readiness-panel"'):body.index("</section>")]
    counts = dict((show.replace("&amp;", "&"), int(n)) for show, n in
                  re.findall(r'href="([^"]*show=\w+)"><span class="n">(\d+)</span>', summary)
                  + re.findall(r'href="([^"]*show=\w+)">「[^」]+」未满足 <span class="n">(\d+)</span>', summary))
    expected = {READY: 375, NOT_READY: 125, ACCURATE_INFO.key: 100, ONCE.key: 25}
    assert {re.search(r"show=(\w+)", link).group(1): n for link, n in counts.items()} == expected
    assert "「信息准确」未满足 <span class=\"n\">100</span> 名" in summary
    for link, n in counts.items():
        ids = listed(client, link)
        assert len(ids) == len(set(ids)) == n, link
        show = re.search(r"show=(\w+)", link).group(1)
        wanted = set().union(*(v for k, v in groups.items() if k != READY)) if show == NOT_READY else groups[show]
        assert set(ids) == wanted, link


def test_the_page_costs_the_same_queries_for_50_candidates_as_for_500(client, login, world, monkeypatch):
    login(STAFF)
    college(500, world)

    def queries(link):
        unchanged.forget_all()  # counted as a process that kept nothing yet
        executed = []
        real = db.obj.execute_sql
        with monkeypatch.context() as patch:
            patch.setattr(db.obj, "execute_sql", lambda sql, *a, **kw: executed.append(sql) or real(sql, *a, **kw))
            assert client.get(link, headers={"HX-Request": "true"}).status_code == 200
        return len(executed)

    queries(url(world))  # settings are read once and kept
    assert queries(url(world, class_name="计应00班")) == queries(url(world))


def test_only_not_ready_and_a_reason_filter_the_table(client, login, world):
    login(STAFF)
    groups = college(60, world)
    body = client.get(url(world, show=NOT_READY)).get_data(as_text=True)
    assert "只看未就绪的考生（" in body and "显示全部" in body
    assert set(listed(client, url(world, show=NOT_READY))) == groups[ACCURATE_INFO.key] | groups[ONCE.key]
    assert "可导入</span>" not in body[body.index("<tbody>"):]
    once = client.get(url(world, show=ONCE.key)).get_data(as_text=True)
    assert "只看「无重复记录」未满足的考生" in once and "已有 Web前端开发 中级 的待审核或已颁证记录" in once


def test_each_row_marks_every_precondition_and_links_the_fix_for_the_first(client, login, world):
    login(STAFF)
    waiting = Candidate.create(name="王五", id_type="居民身份证", id_number=sf.id_number(7, area="410104"), gender="男",
                               phone="13812345678", status=VERIFIED, department=DEPARTMENT)
    body = client.get(url(world)).get_data(as_text=True)
    row = body[body.index(f'href="/candidates/{waiting.id}"'):]
    row = row[:row.index("</tr>")]
    assert row.count("✓") == 4 and row.count("✗") == 1 and "导入时检查" in row
    assert "考生状态为「认证通过」，还需上传照片并完成人工确认" in row
    assert re.search(rf'<a href="/candidates/{waiting.id}">去处理</a>', row)


def test_nothing_selected_asks_for_a_certificate_and_level_on_the_same_page(client, login, world):
    login(STAFF)
    body = client.get("/awards/readiness").get_data(as_text=True)
    assert "请选择证书和等级" in body and f'<option value="{world["cert"].id}|中级">Web前端开发 中级</option>' in body
    assert "<table" not in body
    ticked = client.get(f"/awards/readiness?ids={world['candidate'].id}").get_data(as_text=True)
    assert "勾选的 1 名考生" in ticked and f'name="ids" value="{world["candidate"].id}"' in ticked


def test_the_ticked_candidates_are_checked_and_the_candidate_page_link_works(client, login, world):
    login(STAFF)
    college(20, world)
    one = client.get(f"/awards/readiness?candidate_id={world['candidate'].id}&pair={world['cert'].id}|中级")
    body = one.get_data(as_text=True)
    assert "共 1 名考生" in body and "张三" in body and "可导入</span>" in body


def test_a_college_wide_gap_is_every_accurate_candidates_first_missing_precondition(client, login, world):
    login(STAFF)
    groups = college(40, world)
    Site.update(site_status=INACTIVE).execute()
    body = client.get(url(world)).get_data(as_text=True)
    assert "「考核站点」未满足 <span class=\"n\">32</span> 名" in body and "生成待颁证导入文件" not in body
    assert "考核站点「信息楼机房」审核状态为审核通过、站点状态为未启用" in body
    assert len(groups[ACCURATE_INFO.key]) == 8


@pytest.mark.parametrize("state", ["as is", "site off", "quota full", "no quota", "not a pilot level"])
def test_every_candidate_is_listed_in_the_group_of_its_first_cross(world, state):
    college(40, world)
    level = "中级"
    if state == "site off":
        Site.update(site_status=INACTIVE).execute()
    elif state == "quota full":
        Quota.update(amount=2).execute()  # the two 待审核 records of 2026 hold it all
    elif state == "no quota":
        Quota.delete().execute()
    elif state == "not a pilot level":
        level = "高级"
    check = Readiness(selection(), world["cert"], level, TODAY)
    rows = check.check(check.where())
    by_first = {}
    for row in rows:
        by_first.setdefault(row.first[0].key if row.first else READY, set()).add(row.candidate.id)
    for show in (READY,) + tuple(c.key for c in CONDITIONS):
        assert {c.id for c in check.where(show)} == by_first.get(show, set()), show
    summary = check.summary()
    assert summary.ready == len(by_first.get(READY, ()))
    assert {c.key: n for c, n in summary.reasons.items()} == {k: len(v) for k, v in by_first.items() if k != READY}
    # From the database's counts per status (no ids ticked), the same summary, for the whole college and a 院系.
    assert Readiness(selection(), world["cert"], level, TODAY, counts=selection_counts()).summary() == summary
    for chosen in ({"department": DEPARTMENT}, {"class_name": "计应00班"}, {"department": "机电学院"}):
        by_table = Readiness(selection(**chosen), world["cert"], level, TODAY).summary()
        assert Readiness(selection(**chosen), world["cert"], level, TODAY,
                         counts=selection_counts(**chosen)).summary() == by_table, chosen
    # The page's total for each group is the number it lists.
    for show in ("", "bogus", READY, NOT_READY, *(c.key for c in CONDITIONS)):
        assert summary.of(show) == check.where(show).count(), show
    first_of_the_college = {"site off": SITE_USABLE, "quota full": QUOTA_LEFT, "no quota": QUOTA_LEFT,
                            "not a pilot level": SITE_USABLE}.get(state)
    assert check.blocked_by == first_of_the_college


def test_candidates_are_listed_by_class_then_name_in_pinyin_order(world):
    """By 院系, 班级, 姓名 (DOMAIN.md), the name as 考生管理 sorts it: 李四, 吴六, 张三 (by code point 吴 came first)."""
    rows = [{"name": name, "id_type": "居民身份证", "id_number": sf.id_number(i, area="410108"), "gender": "男",
             "department": DEPARTMENT, "class_name": class_name, "status": ACCURATE}
            for i, (name, class_name) in enumerate([("张三", "计应01班"), ("吴六", "计应01班"), ("李四", "计应01班"),
                                                    ("安七", "计应02班")])]
    with db.atomic():
        Candidate.bulk_add(rows)
    check = Readiness(selection(department=DEPARTMENT), world["cert"], "中级", TODAY)
    assert [c.name for c in check.where()] == ["李四", "吴六", "张三", "安七"]


def test_a_pilot_level_without_its_pilot_is_the_last_college_check(world):
    PilotCertificate.delete().execute()
    check = Readiness(selection(), world["cert"], "中级", TODAY)
    assert check.blocked_by == PILOT and [c.key for c in check.summary().reasons] == [PILOT.key]


def test_the_award_list_banner_counts_by_the_first_missing_precondition(world):
    college(20, world)
    assert readiness_summary(world["cert"], "中级", TODAY) == {
        "ready": 16, "not_ready": 5, "reasons": {"信息准确": 4, "无重复记录": 1}, "quota": 1000, "used": 1,
        "left": 999, "over_quota": 0}


def test_the_list_exports_to_xlsx_with_masked_ids_and_is_audited(client, login, world):
    login(STAFF)
    college(30, world)
    response = client.get(url(world, show=NOT_READY).replace("/awards/readiness?", "/awards/readiness/export?"))
    rows = list(load_workbook(io.BytesIO(response.data))["颁证前检查"].iter_rows(values_only=True))
    assert rows[0][:5] == ("姓名", "证件号码", "院系", "班级", "检查结果")
    assert len(rows) == 1 + 8 and all(r[4].startswith("未就绪") for r in rows[1:])
    assert all("********" in r[1] for r in rows[1:]) and all(r[5] == "导入时检查" for r in rows[1:])
    event = AuditEvent.get(AuditEvent.action == "award.readiness_export")
    assert ("条数", "", "8") in event.change_list


def test_reviewers_do_not_check_readiness(client, login, world):
    login(REVIEWER)
    assert client.get(url(world)).status_code == 403
    assert client.get(url(world).replace("readiness?", "readiness/export?")).status_code == 403
