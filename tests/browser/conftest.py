"""Browser tests: the app served on a free loopback port, driven by Playwright in Debian's Chromium."""
import os
import threading

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from tests.conftest import PASSWORD

# Assertions wait as long as actions do: on a shared, loaded CI machine an htmx partial (a select's
# dependent choices) can take longer than Playwright's default of 5 s.
expect.set_options(timeout=10_000)

CHROMIUM = os.environ.get("CERTDESK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def app_config(app_config):
    # The browser sees the app as a user does: CSRF on.
    return dict(app_config, WTF_CSRF_ENABLED=True)


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # Polled every 50 ms, not 0.5 s: shutdown() waits for the loop to look, after every browser test.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    """A logged-out page at 1366×768. Whatever the test does, it fails when the browser shows a native dialog
    (confirm(), alert(), prompt(): CertDesk asks with its own) or reports a Content-Security-Policy violation,
    on any page of its context."""
    context = browser.new_context(base_url=live_server, viewport={"width": 1366, "height": 768}, locale="zh-CN")
    context.set_default_timeout(10000)
    errors, native_dialogs, csp_errors = [], [], []
    context.on("dialog", lambda dialog: (native_dialogs.append(f"{dialog.type}: {dialog.message}"), _dismiss(dialog)))
    context.on("console", lambda msg: csp_errors.append(msg.text) if "Content Security Policy" in msg.text else None)
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # Status codes the app answers on purpose (401 for a wrong password, 422 for a form) show up as
    # "Failed to load resource" console errors; only script errors and CSP violations count.
    page.on("console", lambda msg: errors.append(msg.text)
            if msg.type == "error" and not msg.text.startswith("Failed to load resource") else None)
    page.js_errors = errors
    yield page
    context.close()
    assert not native_dialogs, f"the browser showed its own dialog instead of CertDesk's: {native_dialogs}"
    assert not csp_errors, f"Content-Security-Policy violations: {csp_errors}"


def _dismiss(dialog):
    try:
        dialog.dismiss()
    except Exception:  # a test's own handler may have answered it already
        pass


def confirm_action(page, action, *question):
    """Answer CertDesk's confirmation with `action`: it names the action (title and button) and says each
    of `question`."""
    _answer(page, action, question, action)


def cancel_action(page, action, *question):
    """Answer CertDesk's confirmation of `action` with 取消, after checking what it says."""
    _answer(page, action, question, "取消")


def _answer(page, action, question, choice):
    box = page.locator("#confirm-dialog")
    expect(box.get_by_role("heading")).to_have_text(action)
    for words in question:
        expect(box).to_contain_text(words)
    box.get_by_role("button", name=choice, exact=True).click()
    expect(box).to_be_hidden()


def log_in(page, username):
    """Log in through the real form as an existing user (password PASSWORD)."""
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/")


def open_from_nav(page, label):
    """Open a page from the main navigation and wait until it has loaded: htmx listens from then on, and a
    choice or click made before would do nothing (the parallel suite once chose a 证书 that early)."""
    link = page.get_by_role("navigation", name="主导航").get_by_role("link", name=label)
    href = link.get_attribute("href")
    link.click()
    page.wait_for_url(f"**{href}")


def settled(page):
    """Wait until htmx has settled what it swapped in (the .htmx-added and .htmx-settling classes gone): its
    settle gives the focus to an [autofocus] element, and a key pressed before would go elsewhere."""
    page.wait_for_function("() => !document.querySelector('.htmx-added, .htmx-settling, .htmx-request')")


@pytest.fixture
def login_as(page, make_user):
    """login_as(role, **kw) -> User: create a user and log in through the real form."""
    def do(role, **kwargs):
        user = make_user(role, **kwargs)
        log_in(page, user.username)
        return user
    return do


def screenshot(page, name):
    """Save a screenshot under screenshots/ when CERTDESK_SCREENSHOTS is set (for looking, not asserting)."""
    folder = os.environ.get("CERTDESK_SCREENSHOTS")
    if folder:
        os.makedirs(folder, exist_ok=True)
        # caret="initial": hiding the caret leaves style attributes that the CSP then reports as errors.
        page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True, caret="initial")


def load_every_panel(page):
    """Wait for the lazy panels: those that load with the page first, then the 院系 panel, which loads when
    scrolled into view (scrolling before the others arrive could leave it below the fold again)."""
    expect(page.locator('.lazy-panel[hx-trigger="load"]')).to_have_count(0, timeout=15000)
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    expect(page.locator(".lazy-panel")).to_have_count(0, timeout=15000)
    page.evaluate("window.scrollTo(0, 0)")
