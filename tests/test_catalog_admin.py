"""系统管理: 证书目录, 试点证书, 省厅指标, 用户管理 and 院校设置 — each change audited, each refusal explained."""
import json
from datetime import date

import pytest

from models.audit import AuditEvent
from models.catalog import Certificate, Organisation
from models.pilot import PilotCertificate, PilotError
from models.quota import QUOTA_FORM, Quota
from models.user import User, UserError

HX = {"HX-Request": "true"}


@pytest.fixture
def admin(login, org):
    return login("admin")


@pytest.fixture
def web(org):
    return Certificate.get(Certificate.name == "Web前端开发")


def last_event(action):
    return AuditEvent.select().where(AuditEvent.action == action).order_by(AuditEvent.id.desc()).first()


# ---- 证书目录 ------------------------------------------------------------------------------------------
def test_admin_adds_a_certificate_with_a_new_organisation_and_default_pass_mark(client, admin):
    dialog = client.get("/admin/certificates/new", headers=HX).get_data(as_text=True)
    assert "<html" not in dialog and 'value="60"' in dialog
    response = client.post("/admin/certificates/new", headers=HX, data={
        "name": "物流管理", "organisation": "北京中物联物流采购培训中心", "pass_mark": "", "code": "wl",
        "levels": ["初级", "中级"]})
    assert response.status_code == 204
    certificate = Certificate.get(Certificate.name == "物流管理")
    assert (certificate.pass_mark, certificate.code, certificate.level_list) == (60, "WL", ["初级", "中级"])
    assert certificate.organisation.name == "北京中物联物流采购培训中心"
    assert last_event("certificate.create").object_label == "物流管理"


def test_a_certificate_form_with_problems_comes_back_with_422(client, admin, web):
    response = client.post("/admin/certificates/new", headers=HX, data={
        "name": "Web前端开发", "organisation": "x", "pass_mark": "120", "levels": []})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "120 不在 0–100 之间；请填写 0–100 的整数" in body and "等级为必填项；请选择等级" in body


def test_editing_a_certificate_is_audited_by_field(client, admin, web):
    response = client.post(f"/admin/certificates/{web.id}/edit", headers=HX, data={
        "name": "Web前端开发", "organisation": web.organisation.name, "pass_mark": "70", "code": "WEB",
        "levels": ["初级", "中级", "高级"]})
    assert response.status_code == 204
    assert Certificate.get_by_id(web.id).pass_mark == 70
    assert ("合格分数", "60", "70") in last_event("certificate.update").change_list


def test_a_pilot_level_cannot_be_removed_from_the_certificate(client, admin, web):
    PilotCertificate.add(web, ["高级"], date(2022, 1, 1), by=admin)
    response = client.post(f"/admin/certificates/{web.id}/edit", headers=HX, data={
        "name": "Web前端开发", "organisation": web.organisation.name, "pass_mark": "60", "levels": ["初级"]})
    assert response.status_code == 422 and "高级是本院校的试点等级" in response.get_data(as_text=True)


# ---- 试点证书 ------------------------------------------------------------------------------------------
def test_admin_adds_pilot_levels_since_a_date(client, admin, web):
    response = client.post("/admin/pilots", headers=HX, data={
        "certificate": str(web.id), "levels": ["初级", "中级"], "since": "2021-09-01"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body and "2021-09-01" in body
    assert PilotCertificate.levels_for(web) == ["初级", "中级"]
    assert AuditEvent.select().where(AuditEvent.action == "pilot.create").count() == 2


def test_pilot_form_refusals(client, admin, web):
    PilotCertificate.add(web, ["初级"], date(2021, 9, 1), by=admin)
    body = client.post("/admin/pilots", headers=HX, data={
        "certificate": str(web.id), "levels": ["初级"], "since": "2021-09-01"}).get_data(as_text=True)
    assert "「Web前端开发」的初级已是试点证书" in body
    response = client.post("/admin/pilots", headers=HX, data={"certificate": "", "since": "昨天"})
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "请选择证书" in body and "试点起始日期「昨天」无法识别" in body


def test_admin_deletes_a_pilot_level(client, admin, web):
    pilot, = PilotCertificate.add(web, ["初级"], date(2021, 9, 1), by=admin)
    response = client.delete(f"/admin/pilots/{pilot.id}", headers=HX)
    assert response.status_code == 200 and "还没有试点证书" in response.get_data(as_text=True)
    assert not PilotCertificate.is_pilot(web, "初级")
    assert last_event("pilot.delete") is not None


# ---- 省厅指标 ------------------------------------------------------------------------------------------
@pytest.fixture
def pilot(admin, web):
    return PilotCertificate.add(web, ["初级"], date(2021, 9, 1), by=admin)[0]


def test_admin_records_a_quota_with_its_document_number_and_sees_used_and_remaining(client, admin, pilot):
    response = client.post("/admin/quotas/", headers=HX, data={
        "pilot": str(pilot.id), "year": "2026", "document_no": "豫教职成〔2026〕12号", "amount": "200"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert "豫教职成〔2026〕12号" in body and '<td class="num">200</td>' in body
    quota = Quota.get()
    assert (quota.year, quota.level, quota.used(), quota.remaining()) == (2026, "初级", 0, 200)
    assert last_event("quota.create") is not None


def test_a_second_quota_for_the_same_year_and_a_bad_form_are_refused(client, admin, pilot):
    data = {"pilot": str(pilot.id), "year": "2026", "document_no": "豫教职成〔2026〕12号", "amount": "200"}
    client.post("/admin/quotas/", headers=HX, data=data)
    body = client.post("/admin/quotas/", headers=HX, data=data).get_data(as_text=True)
    assert "已有省厅指标，请修改原记录" in body
    response = client.post("/admin/quotas/", headers=HX, data={"pilot": "", "year": "26", "amount": "0"})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    for message in ("请选择试点证书及等级", "请填写四位年份", "请填写批复文号", "0 不在 1–1000000 之间"):
        assert message in body


def test_admin_corrects_and_deletes_a_quota(client, admin, pilot):
    quota = Quota.add({"certificate": pilot.certificate, "level": "初级", "year": 2026,
                       "document_no": "豫教职成〔2026〕12号", "amount": 200}, by=admin)
    response = client.post(f"/admin/quotas/{quota.id}/edit", headers=HX,
                           data={"document_no": "豫教职成〔2026〕15号", "amount": "220"})
    assert response.status_code == 204 and json.loads(response.headers["HX-Trigger"])["quotasChanged"]
    assert ("指标人数", "200", "220") in last_event("quota.update").change_list
    assert client.delete(f"/admin/quotas/{quota.id}", headers=HX).status_code == 200
    assert Quota.select().count() == 0


def test_a_quota_for_a_level_that_is_not_piloted_is_refused(admin, web):
    with pytest.raises(PilotError):
        PilotCertificate.add(web, ["特级"], date(2021, 1, 1), by=admin)
    _, errors = QUOTA_FORM.clean({"pilot": "999", "year": "2026", "document_no": "x", "amount": "1"})
    assert {key: error.message for key, error in errors.items()} == {"pilot": "所选试点证书已不存在；请重新选择试点证书及等级"}


def test_the_year_filter_shows_one_years_quotas(client, admin, pilot):
    for year in (2025, 2026):
        Quota.add({"certificate": pilot.certificate, "level": "初级", "year": year,
                   "document_no": f"豫教职成〔{year}〕{year - 2000}号", "amount": 100}, by=admin)
    body = client.get("/admin/quotas/?year=2025", headers=HX).get_data(as_text=True)
    assert "豫教职成〔2025〕25号" in body and "豫教职成〔2026〕26号" not in body


# ---- 用户管理 ------------------------------------------------------------------------------------------
def test_admin_creates_a_reviewer_with_an_organisation(client, admin, org):
    response = client.post("/admin/users/new", headers=HX, data={
        "username": "zhao", "display_name": "赵审核", "role": "reviewer", "organisation": str(org.id),
        "password": "long-enough-1", "password2": "long-enough-1"})
    assert response.status_code == 204
    user = User.by_username("zhao")
    assert user.organisation == org and user.role == "reviewer"


def test_a_reviewer_without_organisation_or_a_short_password_is_refused(client, admin):
    data = {"username": "zhao", "role": "reviewer", "organisation": "", "password": "long-enough-1",
            "password2": "long-enough-1"}
    response = client.post("/admin/users/new", headers=HX, data=data)
    assert response.status_code == 422 and "评价组织审核员必须属于一个培训评价组织" in response.get_data(as_text=True)
    body = client.post("/admin/users/new", headers=HX, data=dict(data, role="staff", password="short",
                                                                 password2="short")).get_data(as_text=True)
    assert "密码至少 8 位" in body
    for password, problem in (("12345678", "密码不能全是数字"), ("zzzzzzzz", "密码不能是同一个字符重复")):
        body = client.post("/admin/users/new", headers=HX, data=dict(data, role="staff", password=password,
                                                                     password2=password)).get_data(as_text=True)
        assert problem in body
    body = client.post("/admin/users/new", headers=HX, data=dict(data, username="zhaolaoshi", role="staff",
                                                                 password="ZhaoLaoShi", password2="ZhaoLaoShi"))
    assert body.status_code == 422 and "密码不能包含用户名" in body.get_data(as_text=True)
    assert User.by_username("zhao") is None and User.by_username("zhaolaoshi") is None


def test_an_administrators_reset_follows_the_password_rule(client, admin, make_user):
    user = make_user("staff", username="li")
    response = client.post(f"/admin/users/{user.id}/password", headers=HX,
                           data={"password": "88888888", "password2": "88888888"})
    assert response.status_code == 422 and "密码不能全是数字" in response.get_data(as_text=True)


def test_admin_changes_a_role_disables_and_resets_a_password(client, admin, make_user, org):
    user = make_user("staff", username="li")
    response = client.post(f"/admin/users/{user.id}/edit", headers=HX, data={
        "display_name": "李审核", "role": "reviewer", "organisation": str(org.id)})
    assert response.status_code == 204
    user = User.get_by_id(user.id)
    assert user.role == "reviewer" and user.organisation == org
    assert ("角色", "院校工作人员", "评价组织审核员") in last_event("user.update").change_list
    body = client.post(f"/admin/users/{user.id}/active", data={"active": "0"}, headers=HX).get_data(as_text=True)
    assert "<html" not in body and "已停用" in body and not User.get_by_id(user.id).active
    response = client.post(f"/admin/users/{user.id}/password", headers=HX,
                           data={"password": "new-password-9", "password2": "new-password-9"})
    assert response.status_code == 204 and last_event("user.password_reset").object_id == str(user.id)


def test_the_admin_cannot_lock_themself_out(admin):
    with pytest.raises(UserError, match="不能停用自己的账号"):
        admin.set_active(False, by=admin)
    with pytest.raises(UserError, match="不能改变角色自己的账号"):
        admin.change("staff", None, "", by=admin)


def test_the_system_management_page_lists_the_new_cards(client, admin):
    page = client.get("/admin/").get_data(as_text=True)
    for label in ("证书目录", "试点证书", "省厅指标", "用户管理", "院校设置"):
        assert label in page


def test_staff_and_reviewers_may_not_open_the_catalogue_pages(client, login, org):
    login("reviewer")
    for url in ("/admin/certificates", "/admin/pilots", "/admin/quotas/", "/admin/users/", "/admin/settings"):
        assert client.get(url).status_code == 403


def test_demo_seed_adds_pilots_quotas_and_sites_in_every_state_once(app, tmp_path):
    from models import demo
    from models.site import Site
    demo.seed(str(tmp_path))
    counts = (PilotCertificate.select().count(), Quota.select().count(), Site.select().count())
    demo.seed(str(tmp_path))
    assert (PilotCertificate.select().count(), Quota.select().count(), Site.select().count()) == counts
    states = {(s.review_status, s.site_status) for s in Site.select()}
    assert {("待审核", "未启用"), ("审核通过", "已启用"), ("审核不通过", "未启用"), ("审核通过", "已停用")} <= states
    years = {q.year for q in Quota.select()}
    assert years == {date.today().year, date.today().year - 1}
    assert Organisation.select().count() >= 2
