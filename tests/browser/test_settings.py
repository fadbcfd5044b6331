"""院校设置 in Chromium: the 证书编号格式 preview follows what the administrator types, and 保存 stores all or none."""
from datetime import date

from playwright.sync_api import expect

from models import setting
from tests.browser.conftest import screenshot

YEAR = date.today().year


def open_settings(page):
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="系统管理").click()
    page.get_by_role("link", name="院校设置").click()
    expect(page.get_by_role("heading", name="院校设置")).to_be_visible()


def test_admin_types_a_number_format_sees_the_error_then_the_next_number_and_saves_it(page, login_as, world):
    login_as("admin")
    open_settings(page)
    preview = page.locator("#number-preview")
    expect(preview).to_contain_text(f"下一个证书编号示例：WEB2{YEAR}000001（Web前端开发 中级，{YEAR} 年）")

    pattern = page.get_by_label("证书编号格式")
    pattern.fill("{证书代码}{年}{序号}")
    expect(preview).to_contain_text("证书编号格式：「{年}」不是可用的占位符；可用的占位符：{证书代码} {等级代码}")
    pattern.fill("{证书代码}-{年份}-{序号}")
    expect(preview).to_contain_text(f"下一个证书编号示例：WEB-{YEAR}-000001")
    expect(preview).to_contain_text("同一证书的不同等级共用一个序号")
    page.get_by_label("证书编号序号位数").fill("4")
    expect(preview).to_contain_text(f"下一个证书编号示例：WEB-{YEAR}-0001")
    # The preview's requests went to the preview box, not to the form's own target: the form is whole.
    expect(page.locator(".settings-group")).to_have_count(len(setting.GROUPS))
    screenshot(page, "settings-preview")

    page.get_by_label("账号锁定时长（分钟）").fill("0")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("alert")).to_contain_text("有 1 项需要修改：账号锁定时长（分钟）。")
    expect(page.locator("#field-login_lock_minutes")).to_contain_text("账号锁定时长（分钟）：0 不在 1–1440 之间")
    assert setting.get("certificate_number_pattern") == "{证书代码}{等级代码}{年份}{序号}"
    screenshot(page, "settings-refused")

    page.get_by_label("账号锁定时长（分钟）").fill("30")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("status").filter(has_text="已保存")).to_contain_text(
        "已保存：账号锁定时长（分钟）、证书编号格式、证书编号序号位数")
    expect(preview).to_contain_text(f"WEB-{YEAR}-0001")
    assert setting.get("certificate_number_pattern") == "{证书代码}-{年份}-{序号}"
    assert setting.get("certificate_number_digits") == 4 and setting.get("login_lock_minutes") == 30
    assert page.js_errors == []
