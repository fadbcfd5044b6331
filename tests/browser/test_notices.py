"""The notice a row action of 考生管理 leaves: it covers no control of the list, and stays until closed or
replaced (WCAG 2.2.1), as a live region a screen reader hears."""
from playwright.sync_api import expect

from models.candidate import PENDING
from tests.browser.conftest import confirm_action, screenshot
from tests.browser.test_accessibility import violations
from tests.browser.test_row_actions import add

# The controls of the page the notice covers: those whose centre shows something else than themselves.
COVERED_CONTROLS = """() => {
  const box = document.getElementById("notice-box").getBoundingClientRect();
  return [...document.querySelectorAll("#results button, #results a[href], #results input, #results select")]
    .filter(el => {
      const r = el.getBoundingClientRect();
      if (!r.width || r.top < 0 || r.bottom > innerHeight) return false;
      const x = r.left + r.width / 2, y = r.top + r.height / 2;
      return !el.contains(document.elementFromPoint(x, y)) ||
             (x >= box.left && x <= box.right && y >= box.top && y <= box.bottom);
    })
    .map(el => el.textContent.trim() || el.getAttribute("aria-label") || el.name);
}"""


def test_the_notice_after_a_row_action_covers_no_control_and_stays_until_closed(page, login_as):
    for seq in range(21):
        add(f"考生{chr(0x4e00 + seq)}", f"{100 + seq}")
    page.clock.install()
    login_as("staff")
    page.goto(f"/candidates/?status={PENDING}&per_page=20")
    results = page.locator("#results")
    rows = results.locator("tbody tr")
    expect(rows).to_have_count(20)
    last = rows.last
    name = last.locator(".cand-name").inner_text()
    last.scroll_into_view_if_needed()
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    last.get_by_role("button", name="认证").click()
    notice = page.locator("#notice")
    expect(notice).to_contain_text(f"{name}：认证通过")
    expect(rows.filter(has_text=name)).to_have_count(0)
    expect(rows).to_have_count(20)  # the next page's first row moved up into its place
    assert page.evaluate(COVERED_CONTROLS) == []
    screenshot(page, "candidates-notice-after-the-last-row")

    # It does not go by itself: a minute later it is still there.
    page.clock.fast_forward("01:00")
    expect(notice).to_contain_text(f"{name}：认证通过")
    assert violations(page) == []

    # The row now last is the one the notice sat over before: its 删除 is clicked, not the notice.
    following = rows.last.locator(".cand-name").inner_text()
    rows.last.get_by_role("button", name="删除").click()
    confirm_action(page, "删除", following)
    expect(notice).to_have_text(f"已删除考生 {following}")
    assert page.evaluate(COVERED_CONTROLS) == []

    page.get_by_role("button", name="关闭提示").click()
    expect(notice).to_be_hidden()
    expect(page.get_by_role("button", name="关闭提示")).to_have_count(0)
    assert page.js_errors == []


def test_the_notice_is_read_out_as_a_status(page, login_as):
    add("赵一", "123")
    login_as("staff")
    page.goto("/candidates/")
    page.locator("#results").get_by_role("row").filter(has_text="赵一").get_by_role("button", name="认证").click()
    status = page.get_by_role("status")
    expect(status).to_have_text("赵一：认证通过")
    expect(status).to_have_attribute("aria-live", "polite")
