"""Benchmark: 批量人工确认 in a real browser — from Enter to the next candidate's name and photo on screen.

    python bench/confirm_queue_browser.py [STEPS]

Serves CertDesk with waitress (as `python app.py` does) on a fresh SQLite database with STEPS + 1 认证通过
candidates (default 20), each with a distinct stored photo, logs in through the form in headless Chromium
(/usr/bin/chromium, 1366×768) and opens 批量人工确认. Each step presses Enter inside the page and waits,
in the page, until the stage shows the next name and its photo has been decoded; the time is taken by the
page's own clock (performance.now), so Playwright's round trips are not in it.

The same walk is then made with the hidden slot taken out of each stage on its way to the browser, so the
next photo is not fetched ahead: the difference is what the prefetch saves.
"""
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from playwright.sync_api import sync_playwright
from waitress.server import create_server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from models.candidate import Candidate  # noqa: E402
from models.db import db  # noqa: E402
from models.photo import attach_photo, demo_jpeg  # noqa: E402
from models.user import STAFF, User  # noqa: E402

PASSWORD = "Queue-2026-confirm"
CHROMIUM = "/usr/bin/chromium"

# Presses Enter and resolves with the milliseconds until the stage shows a new name and its photo is drawn.
STEP = """async () => {
  const before = document.querySelector('#queue-name').textContent;
  const started = performance.now();
  document.body.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', bubbles: true}));
  let named = null;
  while (true) {
    await new Promise(resolve => requestAnimationFrame(resolve));
    const heading = document.querySelector('#queue-name');
    if (heading && heading.textContent !== before) {
      named = named || performance.now() - started;
      const img = document.querySelector('#queue-stage .queue-photo img');
      if (img && img.complete && img.naturalWidth > 0) {
        return [named, performance.now() - started];
      }
    }
    if (performance.now() - started > 10000) { return [named, null]; }
  }
}"""


def seed(app, n):
    with app.app_context(), db.connection_context():
        staff = User.create_user("bench", PASSWORD, STAFF)
        for i in range(n):
            candidate = Candidate.create(name=f"考生{i:03d}", id_type="居民身份证", id_number=f"4101022003{i:08d}",
                                         gender="男", class_name="计应2301", status="认证通过")
            assert attach_photo(candidate, demo_jpeg(seed=i), app.config["DATA_DIR"], staff)[0]


def without_slot(route):
    response = route.fetch()
    route.fulfill(response=response, body=re.sub(r'<div id="queue-next" hidden>.*?</div>', "", response.text(), flags=re.S))


def walk(page, base, steps, prefetch):
    # A queue's start is kept to the second: one started in the second of the last walk's confirmations
    # would count them as its own.
    time.sleep(1.1)
    if not prefetch:  # the stage comes without its hidden slot, so the next photo is fetched once shown
        page.route("**/candidates/queue/**", without_slot)
    page.goto(f"{base}/candidates/?q=计应2301")
    page.get_by_role("button", name="批量人工确认").click()
    page.wait_for_selector("#queue-name")
    names, photos = [], []
    for _ in range(steps):
        page.wait_for_load_state("networkidle")  # the hidden slot's photo has loaded, as for a person reading
        named, drawn = page.evaluate(STEP)
        names.append(named)
        photos.append(drawn)
    return names, photos


def summary(label, values):
    values = [v for v in values if v is not None]
    return f"{label} median {statistics.median(values):.0f} ms, max {max(values):.0f} ms"


def main():
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"DATA_DIR": tmp, "DATABASE_URL": "", "SECRET_KEY": "bench"})
        seed(app, 2 * steps + 2)
        server = create_server(app, host="127.0.0.1", port=0, threads=4)
        threading.Thread(target=server.run, daemon=True).start()
        base = f"http://127.0.0.1:{server.effective_port}"
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--headless=new"])
            page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="zh-CN")
            page.goto(f"{base}/login")
            page.get_by_label("用户名").fill("bench")
            page.get_by_label("密码").fill(PASSWORD)
            page.get_by_role("button", name="登录").click()
            page.wait_for_url(f"{base}/")
            print(f"SQLite, waitress, Chromium; {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; {steps} Enters each")
            names, photos = walk(page, base, steps, prefetch=True)
            print(f"next photo fetched ahead:   {summary('name shown', names)};  {summary('photo drawn', photos)}")
            names, photos = walk(page, base, steps, prefetch=False)
            print(f"hidden slot left empty:     {summary('name shown', names)};  {summary('photo drawn', photos)}")
            browser.close()
        server.close()


if __name__ == "__main__":
    main()
