"""Benchmark: 批量导入学生信息 of a 10,000-row .xlsx, from 保存 to the result visible in the browser.

    python bench/import_visible.py [N]          (default 10000; REPEAT=3 runs, the best kept)
    CERTDESK_SRC=/path/to/other/checkout python bench/import_visible.py   (the same, another version)

Each run starts the production server (`python app.py`, waitress, jobs in its dispatcher) on a fresh
SQLite data directory (or on DATABASE_URL, which is emptied first: give it a scratch database), logs
in with headless Chromium, opens 考生管理 → 批量导入 → 批量导入学生信息, chooses the file and clicks 保存,
and times until "成功导入 N 条" is on the screen (by the page's own clock, from the click to the change of
the page that shows it): the upload, the background job and however the status block learns that the
job ended. Printed as a ratio to the bare python-calamine parse of the same file
(bench/candidate_import.py), so it holds on a noisy machine: the best runs and the medians. Target (issue 16): ≤ 6×.
"""
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from statistics import median
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg2  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from bench.candidate_import import bare_parse, make_rows, write_xlsx  # noqa: E402

SRC = Path(os.environ.get("CERTDESK_SRC", Path(__file__).resolve().parent.parent))
CHROMIUM = os.environ.get("CERTDESK_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "Visible-2026-import"


# Notes the time of the click on 保存 and of the first DOM change after which the page shows the text.
WATCH = """text => {
    document.addEventListener("click", () => { window.__clickedAt ??= performance.now(); }, true);
    new MutationObserver((changes, observer) => {
        if (window.__clickedAt && document.body.innerText.includes(text)) {
            window.__shownAt = performance.now();
            observer.disconnect();
        }
    }).observe(document.body, {childList: true, subtree: true, characterData: true});
}"""


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(data_dir, port):
    env = dict(os.environ, CERTDESK_DATA_DIR=str(data_dir), SECRET_KEY="bench")
    flask = [sys.executable, "-m", "flask", "--app", str(SRC / "app")]
    if os.environ.get("DATABASE_URL"):
        subprocess.run([sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); import models; "
                        "from app import create_app; from models.db import db; create_app(); "
                        "db.connect(reuse_if_open=True); models.drop_all()", str(SRC)], env=env, check=True)
    subprocess.run(flask + ["create-user", "bench", "--role", "staff", "--password", PASSWORD], env=env,
                   check=True, stdout=subprocess.DEVNULL)
    server = subprocess.Popen([sys.executable, str(SRC / "app.py"), "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return server
        time.sleep(0.1)
    raise RuntimeError("server did not start")


def warm_up(tmp):
    path = Path(tmp) / "warm-up.xlsx"
    if not path.exists():
        write_xlsx(make_rows(5, bad_row=0), path)
    return path


def visible(browser, path, rows, tmp, attempt):
    port = free_port()
    server = start_server(Path(tmp) / f"data{attempt}", port)
    try:
        page = browser.new_page(base_url=f"http://127.0.0.1:{port}", viewport={"width": 1366, "height": 768})
        page.goto("/login")
        page.get_by_label("用户名").fill("bench")
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url("**/")
        page.goto("/candidates/")
        page.get_by_text("批量导入", exact=True).click()
        page.get_by_role("button", name="批量导入学生信息").click()
        dialog = page.get_by_role("dialog")
        # A running server has loaded its templates and stdnum's area-code table long before: a small
        # upload first (one bad row, nothing saved), so the measurement is the steady state.
        dialog.locator("input[type=file]").set_input_files(str(warm_up(tmp)))
        dialog.get_by_role("button", name="保存").click()
        dialog.get_by_text("尚未写入任何数据").first.wait_for(timeout=60_000)
        dialog.locator("input[type=file]").set_input_files(str(path))
        done = dialog.get_by_text(f"成功导入 {rows} 条")
        # Timed by the page's own clock, from the click to the DOM change that shows the result: Playwright's
        # wait polls at growing intervals (up to 500 ms apart) and would add its own delay to the figure.
        page.evaluate(WATCH, f"成功导入 {rows} 条")
        dialog.get_by_role("button", name="保存").click()
        done.wait_for(timeout=300_000)
        elapsed = page.evaluate("window.__shownAt - window.__clickedAt") / 1000
        page.close()
        return elapsed, job_seconds(Path(tmp) / f"data{attempt}")
    finally:
        server.terminate()
        server.wait(10)


def job_seconds(data_dir):
    """用时 of the last batch: the job's own check and save, as the server measured it."""
    last = "SELECT duration FROM import_batch ORDER BY id DESC LIMIT 1"
    if os.environ.get("DATABASE_URL"):
        with closing(psycopg2.connect(os.environ["DATABASE_URL"])) as connection, connection.cursor() as cursor:
            cursor.execute(last)
            return cursor.fetchone()[0]
    with closing(sqlite3.connect(data_dir / "certdesk.db")) as connection:
        return connection.execute(last).fetchone()[0]


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    repeat = int(os.environ.get("REPEAT", "3"))
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        path = Path(tmp) / "考生名单.xlsx"
        write_xlsx(make_rows(n), path)
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        parses, shown = [], []
        # Interleaved and the best of each kept: the shared machine's speed drifts within a minute.
        for attempt in range(repeat):
            parses.append(min(bare_parse(path) for _ in range(3)))
            shown.append(visible(browser, path, n, tmp, attempt))
        browser.close()
    parse, (seen, job) = min(parses), min(shown)
    # The medians too: one lucky run makes the best, while staff meet the typical one.
    typical_parse, typical_seen = median(parses), median(seen for seen, _ in shown)
    print(f"{SRC}: {n:,} rows, bare parse {parse:.2f}s, 保存 → 成功导入 on screen {seen:.2f}s "
          f"({seen / parse:.1f}×; the job itself {job:.2f}s, {job / parse:.1f}×); medians: parse "
          f"{typical_parse:.2f}s, on screen {typical_seen:.2f}s ({typical_seen / typical_parse:.1f}×); "
          f"every run (screen/job): {', '.join(f'{s:.2f}/{j:.2f}s' for s, j in shown)}")


if __name__ == "__main__":
    main()
