"""考核站点 in Chromium, as the manual §2.3 describes it: 申报考核站点 → 提交并保存 → the organisation's reviewer
审核通过 → 审核通过 + 已启用; 审核不通过 with a reason and resubmission; the administrator's 试点证书 and 省厅指标."""
from datetime import date

import pytest
from playwright.sync_api import expect

from models.catalog import Certificate, Organisation
from models.pilot import PilotCertificate
from models.site import Site
from tests.browser.conftest import confirm_action, log_in, open_from_nav, screenshot


@pytest.fixture
def pilots(org, make_user):
    """Web前端开发 piloted at 初级 and 中级; 物流管理 (another organisation) at 中级; 智能财税 not piloted."""
    admin = make_user("admin", username="seed-admin")
    web = Certificate.get(Certificate.name == "Web前端开发")
    wl_org = Organisation.create(name="北京中物联物流采购培训中心")
    wl = Certificate.create(name="物流管理", organisation=wl_org, code="WL")
    Certificate.create(name="智能财税", organisation=Organisation.create(name="中联集团教育科技有限公司"))
    PilotCertificate.add(web, ["初级", "中级"], date(2021, 9, 1), by=admin)
    PilotCertificate.add(wl, ["中级"], date(2022, 3, 1), by=admin)
    return web


def log_out(page):
    page.get_by_role("button", name="退出").click()
    expect(page.get_by_role("button", name="登录")).to_be_visible()



def open_sites(page):
    # Until the page has loaded, htmx does not listen: a row button clicked at once did nothing under load.
    open_from_nav(page, "考核站点")
    expect(page.get_by_role("heading", name="考核站点", exact=True)).to_be_visible()


def fill_site(dialog, name="信息楼考核站点"):
    dialog.get_by_label("站点名称").fill(name)
    dialog.get_by_label("所在地区").fill("河南省郑州市金水区")
    dialog.get_by_label("详细地址").fill("文化路 80 号信息楼 301 机房")
    dialog.get_by_label("联系人").fill("周老师")
    dialog.get_by_label("联系电话").fill("0371-63556021")
    dialog.get_by_label("机位数").fill("60")


def test_staff_declares_a_site_the_reviewer_approves_it_and_staff_see_it_enabled(page, login_as, pilots):
    staff = login_as("staff")
    open_sites(page)
    page.get_by_role("button", name="申报考核站点").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="申报考核站点")).to_be_visible()
    # Only the college's pilot certificates are offered; choosing one shows only its pilot levels.
    options = dialog.get_by_label("证书").locator("option")
    expect(options).to_have_count(3)
    expect(dialog.get_by_label("证书")).not_to_contain_text("智能财税")
    expect(dialog.get_by_text("请先选择证书")).to_be_visible()
    dialog.get_by_label("证书").select_option(label="物流管理（北京中物联物流采购培训中心）")
    expect(dialog.get_by_label("中级")).to_be_visible()
    expect(dialog.get_by_label("初级")).to_have_count(0)
    dialog.get_by_label("证书").select_option(label="Web前端开发（工业和信息化部教育与考试中心）")
    expect(dialog.get_by_label("初级")).to_be_visible()
    expect(dialog.get_by_label("高级")).to_have_count(0)
    fill_site(dialog)
    dialog.get_by_label("联系电话").fill("12345")
    dialog.get_by_role("button", name="提交并保存").click()
    expect(dialog.get_by_text("等级为必填项；请选择等级")).to_be_visible()
    expect(dialog.get_by_text("联系电话「12345」格式不正确")).to_be_visible()
    screenshot(page, "sites-declare-errors")
    dialog.get_by_label("中级").check()
    dialog.get_by_label("联系电话").fill("0371-63556021")
    screenshot(page, "sites-declare-dialog")
    dialog.get_by_role("button", name="提交并保存").click()
    expect(page.locator("#dialog")).not_to_be_visible()
    expect(page.locator("#notice")).to_contain_text("等待培训评价组织审核")
    row = page.get_by_role("row").filter(has_text="信息楼考核站点")
    expect(row).to_contain_text("待审核")
    expect(row).to_contain_text("未启用")
    screenshot(page, "sites-list-staff-pending")
    log_out(page)

    login_as("reviewer")
    open_sites(page)
    row = page.get_by_role("row").filter(has_text="信息楼考核站点")
    screenshot(page, "sites-list-reviewer")
    row.get_by_role("button", name="审核通过").click()
    confirm_action(page, "审核通过", "确定审核通过考核站点「信息楼考核站点」吗？")
    expect(row.get_by_text("已启用")).to_be_visible()
    expect(row.get_by_role("button", name="停用")).to_be_visible()
    expect(page.locator("#notice")).to_contain_text("审核通过，站点已启用")
    log_out(page)

    log_in(page, staff.username)
    open_sites(page)
    row = page.get_by_role("row").filter(has_text="信息楼考核站点")
    expect(row.locator(".badge")).to_have_text(["审核通过", "已启用"])
    row.get_by_role("link", name="信息楼考核站点").click()
    expect(page.get_by_text("该站点审核通过且已启用，可用于导入待颁证记录。")).to_be_visible()
    screenshot(page, "sites-detail-usable")
    assert page.js_errors == []


def test_reviewer_refuses_with_a_reason_and_staff_correct_and_resubmit(page, login_as, make_user, pilots):
    staff = make_user("staff", username="teacher")
    site = Site.declare({"name": "实训中心考核站点", "certificate": pilots, "levels": "初级", "region": "河南省郑州市",
                         "address": "文化路 80 号", "contact": "孙老师", "phone": "13803712468", "seats": 200,
                         "note": ""}, by=staff)
    login_as("reviewer")
    open_sites(page)
    row = page.get_by_role("row").filter(has_text=site.name)
    row.get_by_role("button", name="审核不通过").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name="审核不通过").click()
    expect(dialog.get_by_text("请填写审核不通过的原因")).to_be_visible()
    dialog.get_by_label("不通过的原因").fill("机位数与实训室实际不符，请核实；详细地址请写到楼层和房间号。")
    screenshot(page, "sites-reject-dialog")
    dialog.get_by_role("button", name="审核不通过").click()
    expect(page.locator("#dialog")).not_to_be_visible()
    expect(row.locator(".badge")).to_have_text(["审核不通过", "未启用"])
    expect(row).to_contain_text("不通过原因：机位数与实训室实际不符")
    log_out(page)

    log_in(page, "teacher")
    open_sites(page)
    row = page.get_by_role("row").filter(has_text=site.name)
    screenshot(page, "sites-list-rejected")
    row.get_by_role("button", name="修改并重新提交").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("审核不通过的原因：机位数与实训室实际不符")).to_be_visible()
    expect(dialog.get_by_label("初级")).to_be_checked()
    dialog.get_by_label("机位数").fill("48")
    dialog.get_by_label("详细地址").fill("文化路 80 号实训中心 2 层 201 室")
    dialog.get_by_role("button", name="提交并保存").click()
    expect(page.locator("#dialog")).not_to_be_visible()
    expect(row.locator(".badge")).to_have_text(["待审核", "未启用"])
    assert Site.get_by_id(site.id).seats == 48
    assert page.js_errors == []


def test_admin_adds_a_pilot_certificate_and_a_quota(page, login_as, org):
    login_as("admin")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="系统管理").click()
    page.locator("a.card", has=page.get_by_text("试点证书", exact=True)).click()
    page.get_by_label("证书").select_option(label="Web前端开发（工业和信息化部教育与考试中心）")
    page.get_by_label("初级").check()
    page.get_by_label("中级").check()
    page.get_by_label("试点起始日期").fill("2021-09-01")
    page.get_by_role("button", name="添加").click()
    expect(page.get_by_role("row").filter(has_text="中级")).to_contain_text("2021-09-01")
    screenshot(page, "admin-pilots")

    page.goto("/admin/")
    page.locator("a.card", has=page.get_by_text("省厅指标", exact=True)).click()
    page.get_by_label("试点证书及等级").select_option(label="Web前端开发 初级")
    page.get_by_label("年度").first.fill("2026")
    page.get_by_label("批复文号").fill("豫教职成〔2026〕12号")
    page.get_by_label("指标人数").fill("200")
    page.get_by_role("button", name="添加").click()
    row = page.get_by_role("row").filter(has_text="豫教职成〔2026〕12号")
    expect(row).to_contain_text("200")
    row.get_by_role("button", name="修改").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("指标人数").fill("220")
    dialog.get_by_role("button", name="保存").click()
    expect(page.locator("#dialog")).not_to_be_visible()
    expect(page.get_by_role("row").filter(has_text="豫教职成〔2026〕12号")).to_contain_text("220")
    screenshot(page, "admin-quotas")
    assert page.js_errors == []
