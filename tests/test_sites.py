"""考核站点: the two statuses and their transitions in the model, and every route for every role."""
import json
from datetime import date
from types import SimpleNamespace

import pytest

from models.audit import AuditEvent
from models.catalog import Certificate, Organisation
from models.pilot import PilotCertificate, PilotError
from models.site import (APPROVED, DISABLED, ENABLED, INACTIVE, NOT_PILOT, PENDING, REJECTED, Site,
                         SiteError, remove_pilot)

HX = {"HX-Request": "true"}


@pytest.fixture
def world(app, org, make_user):
    """Two organisations' pilot certificates, one certificate that is not piloted, and a user of each role."""
    web = Certificate.get(Certificate.name == "Web前端开发")
    wl_org = Organisation.create(name="北京中物联物流采购培训中心")
    wl = Certificate.create(name="物流管理", organisation=wl_org, code="WL")
    tax_org = Organisation.create(name="中联集团教育科技有限公司")
    tax = Certificate.create(name="智能财税", organisation=tax_org, code="ZNCS")
    admin = make_user("admin", username="boss")
    PilotCertificate.add(web, ["初级", "中级"], date(2021, 9, 1), by=admin)
    PilotCertificate.add(wl, ["中级"], date(2022, 3, 1), by=admin)
    return SimpleNamespace(
        web=web, wl=wl, tax=tax, admin=admin,
        staff=make_user("staff", username="teacher"),
        reviewer=make_user("reviewer", username="web-reviewer", organisation=org),
        other_reviewer=make_user("reviewer", username="wl-reviewer", organisation=wl_org),
    )


def values(certificate, levels="初级", **overrides):
    data = {"name": "信息楼考核站点", "certificate": certificate, "levels": levels, "region": "河南省郑州市金水区",
            "address": "文化路 80 号信息楼 301", "contact": "周老师", "phone": "0371-63556021", "seats": 60, "note": ""}
    data.update(overrides)
    return data


def form(certificate, levels=("初级",), **overrides):
    data = {"name": "信息楼考核站点", "certificate": str(certificate.id), "levels": list(levels),
            "region": "河南省郑州市金水区", "address": "文化路 80 号信息楼 301", "contact": "周老师",
            "phone": "13812345678", "seats": "60", "note": ""}
    data.update(overrides)
    return data


@pytest.fixture
def make_site(world):
    def make(certificate=None, state=PENDING, **overrides):
        certificate = certificate or world.web
        site = Site.declare(values(certificate, **overrides), by=world.staff)
        reviewer = world.reviewer if certificate == world.web else world.other_reviewer
        if state == REJECTED:
            site.reject("机位数不符", by=reviewer)
        elif state in (APPROVED, DISABLED):
            site.approve(by=reviewer)
            if state == DISABLED:
                site.disable(by=reviewer)
        return site
    return make


def actions(site):
    return [e.action for e in AuditEvent.for_object("site", site.id).order_by(AuditEvent.id)]


# ---- the model: transitions and refusals -------------------------------------------------------------
def test_declare_creates_a_site_pending_review_and_not_enabled(world):
    site = Site.declare(values(world.web, levels="初级,中级"), by=world.staff)
    assert (site.review_status, site.site_status) == (PENDING, INACTIVE)
    assert site.level_list == ["初级", "中级"]
    assert not site.is_usable()
    assert actions(site) == ["site.create"]


def test_declare_refuses_a_certificate_that_is_not_a_pilot_certificate(world):
    with pytest.raises(SiteError, match=NOT_PILOT):
        Site.declare(values(world.tax), by=world.staff)
    with pytest.raises(SiteError, match=NOT_PILOT):
        Site.declare(values(world.wl, levels="初级"), by=world.staff)  # 物流管理 is piloted only at 中级
    assert Site.select().count() == 0


def test_approve_makes_the_site_approved_enabled_and_usable(make_site, world):
    site = make_site()
    site.approve(by=world.reviewer)
    site = Site.get_by_id(site.id)
    assert (site.review_status, site.site_status) == (APPROVED, ENABLED)
    assert site.is_usable() and "可用于导入待颁证记录" in site.usability()
    assert site.reviewed_by == world.reviewer
    assert actions(site) == ["site.create", "site.approve"]


def test_only_a_reviewer_of_the_certificates_organisation_may_review(make_site, world):
    site = make_site()
    for user in (world.other_reviewer, world.staff, world.admin):
        with pytest.raises(SiteError, match="所属培训评价组织的审核员"):
            site.approve(by=user)
    assert Site.get_by_id(site.id).review_status == PENDING


def test_a_site_is_reviewed_only_once(make_site, world):
    site = make_site(state=APPROVED)
    with pytest.raises(SiteError, match="只有待审核的站点可以审核"):
        site.approve(by=world.reviewer)
    with pytest.raises(SiteError, match="只有待审核的站点可以审核"):
        site.reject("太晚了", by=world.reviewer)


def test_reject_needs_a_reason_and_keeps_the_site_not_enabled(make_site, world):
    site = make_site()
    with pytest.raises(SiteError, match="请填写审核不通过的原因"):
        site.reject("  ", by=world.reviewer)
    site.reject("  机位数不符；详细地址请写到房间号（例如 301 室）", by=world.reviewer)
    site = Site.get_by_id(site.id)
    assert (site.review_status, site.site_status) == (REJECTED, INACTIVE)
    assert site.reject_reason == "机位数不符；详细地址请写到房间号（例如 301 室）"  # full-width punctuation kept
    assert "按审核意见修改后重新提交" in site.usability()


def test_a_refused_site_edited_and_resubmitted_goes_back_to_pending(make_site, world):
    site = make_site(state=REJECTED)
    site.revise(values(world.web, address="文化路 80 号信息楼 3 层 301 室"), by=world.staff)
    site = Site.get_by_id(site.id)
    assert site.review_status == PENDING and site.reject_reason == ""
    event = AuditEvent.for_object("site", site.id).first()
    assert event.action == "site.resubmit"
    assert dict((f, (b, a)) for f, b, a in event.change_list)["审核状态"] == (REJECTED, PENDING)


def test_an_approved_site_cannot_be_edited(make_site, world):
    site = make_site(state=APPROVED)
    with pytest.raises(SiteError, match="不能修改"):
        site.revise(values(world.web, name="新名称"), by=world.staff)


def test_disable_and_enable_an_approved_site(make_site, world):
    site = make_site(state=APPROVED)
    site.disable(by=world.reviewer)
    assert site.site_status == DISABLED and not site.is_usable()
    assert "重新启用" in site.usability()
    with pytest.raises(SiteError, match="只有审核通过且已启用的站点可以停用"):
        site.disable(by=world.reviewer)
    site.enable(by=world.reviewer)
    assert Site.get_by_id(site.id).is_usable()
    assert actions(site)[-2:] == ["site.disable", "site.enable"]


def test_a_pending_site_can_be_neither_disabled_nor_enabled(make_site, world):
    site = make_site()
    with pytest.raises(SiteError):
        site.disable(by=world.reviewer)
    with pytest.raises(SiteError):
        site.enable(by=world.reviewer)


def test_form_cleaning_reports_each_problem_in_chinese(world):
    _, errors = Site.clean(form(world.web, levels=(), name="", phone="12345", seats="0"))
    assert errors == {"name": "请填写站点名称", "levels": "请至少选择一个等级",
                      "phone": errors["phone"], "seats": "机位数须为 1 到 10000 之间的整数"}
    assert "联系电话「12345」格式不正确" in errors["phone"]
    _, errors = Site.clean(form(world.web, levels=("高级",), seats="六十"))
    assert errors["levels"] == "高级不是该证书的试点等级"
    assert "机位数" in errors["seats"]
    _, errors = Site.clean(form(world.tax))
    assert errors["certificate"] == NOT_PILOT
    values_, errors = Site.clean(form(world.web, levels=("中级", "初级"), phone="０３７１－６３５５６０２１"))
    assert not errors and values_["levels"] == "初级,中级" and values_["phone"] == "0371-63556021"


def test_reviewers_see_only_their_organisations_sites(make_site, world):
    web_site, wl_site = make_site(), make_site(certificate=world.wl, levels="中级", name="物流站点")
    assert list(Site.visible_to(world.reviewer)) == [web_site]
    assert list(Site.visible_to(world.other_reviewer)) == [wl_site]
    assert set(Site.visible_to(world.staff)) == {web_site, wl_site}
    assert web_site not in Site.visible_to(world.other_reviewer)


def test_usable_sites_and_pilot_helpers_for_the_pending_certificate_import(make_site, world):
    usable, _ = make_site(state=APPROVED), make_site(state=DISABLED, name="停用的站点")
    assert list(Site.usable()) == [usable]
    assert usable.covers("初级") and not usable.covers("中级")
    assert PilotCertificate.levels_for(world.web) == ["初级", "中级"]
    assert PilotCertificate.is_pilot(world.wl, "中级") and not PilotCertificate.is_pilot(world.wl, "初级")
    assert PilotCertificate.pairs() == {(world.web.id, "初级"), (world.web.id, "中级"), (world.wl.id, "中级")}


def test_a_pilot_level_named_by_a_site_cannot_be_deleted(make_site, world):
    make_site()
    pilot = PilotCertificate.get((PilotCertificate.certificate == world.web) & (PilotCertificate.level == "初级"))
    with pytest.raises(PilotError, match="已有考核站点申报"):
        remove_pilot(pilot, by=world.admin)
    assert PilotCertificate.is_pilot(world.web, "初级")


# ---- routes × roles ----------------------------------------------------------------------------------
def as_user(client, user):
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


def test_the_list_shows_both_statuses_as_separate_badges_and_the_declare_button_to_staff(client, make_site, world):
    make_site(state=APPROVED)
    as_user(client, world.staff)
    page = client.get("/sites/").get_data(as_text=True)
    assert "申报考核站点" in page
    assert '<span class="badge badge-green">审核通过</span>' in page
    assert '<span class="badge badge-green">已启用</span>' in page
    assert "审核通过</button>" not in page  # staff do not review


@pytest.mark.parametrize("who, sees", [("staff", True), ("admin", True), ("reviewer", True), ("other_reviewer", False)])
def test_site_page_by_role(client, make_site, world, who, sees):
    site = make_site()
    as_user(client, getattr(world, who))
    response = client.get(f"/sites/{site.id}")
    assert response.status_code == (200 if sees else 404)
    listing = client.get("/sites/").get_data(as_text=True)
    assert (site.name in listing) == sees


def test_anonymous_users_are_sent_to_login_from_the_sites(client, make_site):
    site = make_site()
    for url in ("/sites/", f"/sites/{site.id}", "/sites/new"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert client.post(f"/sites/{site.id}/approve").status_code == 302
    assert Site.get_by_id(site.id).review_status == PENDING


def test_the_list_filters_by_review_status_and_site_status(client, make_site, world):
    make_site(name="待审站点")
    make_site(state=APPROVED, name="启用站点")
    make_site(state=DISABLED, name="停用站点")
    as_user(client, world.staff)
    body = client.get("/sites/?review_status=审核通过&site_status=已停用", headers=HX).get_data(as_text=True)
    assert "<html" not in body
    assert "停用站点" in body and "启用站点" not in body and "待审站点" not in body


def test_staff_declare_a_site_with_submit_and_save(client, world):
    as_user(client, world.staff)
    dialog = client.get("/sites/new", headers=HX).get_data(as_text=True)
    assert "<html" not in dialog and "提交并保存" in dialog
    assert "Web前端开发" in dialog and "物流管理" in dialog and "智能财税" not in dialog
    response = client.post("/sites/new", data=form(world.web, levels=("初级", "中级")), headers=HX)
    assert response.status_code == 204
    assert json.loads(response.headers["HX-Trigger"])["closeDialog"] is True
    site = Site.get()
    assert (site.review_status, site.site_status, site.levels) == (PENDING, INACTIVE, "初级,中级")


def test_a_forged_submission_for_a_non_pilot_certificate_is_refused_with_the_manuals_message(client, world):
    as_user(client, world.staff)
    response = client.post("/sites/new", data=form(world.tax), headers=HX)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "该证书不是本院校的试点证书，无法申报考核站点" in body and "<html" not in body
    assert Site.select().count() == 0


def test_an_invalid_form_comes_back_with_422_and_each_fields_message(client, world):
    as_user(client, world.staff)
    response = client.post("/sites/new", data=form(world.web, phone="abc", seats="-3", contact=""), headers=HX)
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "请填写联系人" in body and "联系电话「abc」格式不正确" in body and "机位数须为" in body
    assert 'value="信息楼考核站点"' in body  # what the user typed is kept


def test_choosing_a_certificate_refreshes_the_levels_with_its_pilot_levels_only(client, world):
    as_user(client, world.staff)
    body = client.get(f"/sites/levels?certificate={world.wl.id}", headers=HX).get_data(as_text=True)
    assert "<html" not in body and 'id="site-levels"' in body
    assert 'value="中级"' in body and 'value="初级"' not in body and 'value="高级"' not in body
    body = client.get(f"/sites/levels?certificate={world.tax.id}", headers=HX).get_data(as_text=True)
    assert 'name="levels"' not in body and "请先选择证书" in body


def test_reviewer_approves_a_site_as_a_row_action(client, make_site, world):
    site = make_site()
    as_user(client, world.reviewer)
    response = client.post(f"/sites/{site.id}/approve", headers=HX)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert f'id="site-{site.id}"' in body and "审核通过" in body and "已启用" in body and "停用</button>" in body
    assert Site.get_by_id(site.id).is_usable()


def test_approve_from_the_site_page_returns_the_page_block(client, make_site, world):
    site = make_site()
    as_user(client, world.reviewer)
    body = client.post(f"/sites/{site.id}/approve", data={"from": "detail"}, headers=HX).get_data(as_text=True)
    assert "<html" not in body and "可用于导入待颁证记录" in body and "操作记录" in body


@pytest.mark.parametrize("who, status", [("staff", 403), ("admin", 403), ("other_reviewer", 404)])
def test_others_may_not_review(client, make_site, world, who, status):
    site = make_site()
    as_user(client, getattr(world, who))
    for action in ("approve", "reject", "disable", "enable"):
        assert client.post(f"/sites/{site.id}/{action}", data={"reason": "x"}, headers=HX).status_code == status
    assert Site.get_by_id(site.id).review_status == PENDING


def test_reviewer_rejects_with_a_required_reason(client, make_site, world):
    site = make_site()
    as_user(client, world.reviewer)
    dialog = client.get(f"/sites/{site.id}/reject", headers=HX).get_data(as_text=True)
    assert "<html" not in dialog and "不通过的原因" in dialog
    response = client.post(f"/sites/{site.id}/reject", data={"reason": ""}, headers=HX)
    assert response.status_code == 422 and "请填写审核不通过的原因" in response.get_data(as_text=True)
    response = client.post(f"/sites/{site.id}/reject", data={"reason": "机位数不符"}, headers=HX)
    assert response.status_code == 204
    assert json.loads(response.headers["HX-Trigger"])["sitesChanged"] is True
    assert Site.get_by_id(site.id).review_status == REJECTED


def test_reviewing_a_reviewed_site_is_refused_with_a_message(client, make_site, world):
    site = make_site(state=APPROVED)
    as_user(client, world.reviewer)
    response = client.post(f"/sites/{site.id}/approve", headers=HX)
    assert response.status_code == 409 and "只有待审核的站点可以审核" in response.get_data(as_text=True)


def test_reviewer_disables_and_enables(client, make_site, world):
    site = make_site(state=APPROVED)
    as_user(client, world.reviewer)
    body = client.post(f"/sites/{site.id}/disable", headers=HX).get_data(as_text=True)
    assert "已停用" in body and "启用</button>" in body
    body = client.post(f"/sites/{site.id}/enable", headers=HX).get_data(as_text=True)
    assert "已启用" in body
    assert Site.get_by_id(site.id).is_usable()


def test_staff_see_the_reason_and_resubmit_a_refused_site(client, make_site, world):
    site = make_site(state=REJECTED)
    as_user(client, world.staff)
    assert "不通过原因：机位数不符" in client.get("/sites/").get_data(as_text=True)
    dialog = client.get(f"/sites/{site.id}/edit", headers=HX).get_data(as_text=True)
    assert "审核不通过的原因：机位数不符" in dialog and 'value="信息楼考核站点"' in dialog
    response = client.post(f"/sites/{site.id}/edit", data=form(world.web, seats="48"), headers=HX)
    assert response.status_code == 204
    site = Site.get_by_id(site.id)
    assert site.review_status == PENDING and site.seats == 48


def test_an_approved_site_cannot_be_opened_for_editing(client, make_site, world):
    site = make_site(state=APPROVED)
    as_user(client, world.staff)
    assert client.get(f"/sites/{site.id}/edit", headers=HX).status_code == 409


def test_the_site_page_says_in_words_whether_the_site_can_be_used(client, make_site, world):
    pending, usable = make_site(), make_site(state=APPROVED, name="已启用站点")
    as_user(client, world.staff)
    assert "暂不能用于导入待颁证记录：需等待培训评价组织审核通过" in client.get(f"/sites/{pending.id}").get_data(as_text=True)
    assert "该站点审核通过且已启用，可用于导入待颁证记录" in client.get(f"/sites/{usable.id}").get_data(as_text=True)
