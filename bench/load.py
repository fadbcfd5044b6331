"""Loopback load test: 考生管理 served by the production server, hit by a separate load-generating process.

    python bench/load.py [--users 32] [--seconds 20] [--workers N] [--threads 8] [--candidates 100000]
    python bench/load.py --rate 150      (requests sent at 150 a second in all, not back to back)
    python bench/load.py --database-url postgresql://postgres@127.0.0.1:5432/scratch

With --database-url the bench DROPS AND RECREATES every CertDesk table there: give it a scratch database.

It seeds a college (bench/lists.py's, with fewer audit events) into a temporary data directory, starts
`python app.py` (waitress, the production server; its processes the app's default unless `--workers N`) on a free
loopback port, and runs the load generator in a process of its own: USERS threads, each logged in
through the real login form with its own session, each on one keep-alive http.client connection,
sending requests back to back for SECONDS (after a 3 s warm-up) in the mix staff use 考生管理: the full page,
the next page, a status filter, a 院系 filter and a name search as htmx partials. With --rate R the users
send on a schedule instead, R requests a second in all (each user every USERS/R s), and a request's
time counts from when it was due, so a server that falls behind shows it in the times. Prints requests/s,
p50 / p95 / max per kind and overall, every error, and the CPU time a request cost the server processes
and the load generator (Linux: from /proc); then stops the server. Only 127.0.0.1 is contacted.
"""
import argparse
import http.client
import multiprocessing
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from queue import Empty
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

PASSWORD = "load-test-password"
HX = {"HX-Request": "true", "HX-Current-URL": "/candidates/"}
# (kind, url, htmx, weight): what a staff member's browser asks for while working through the list.
MIX = [
    ("full page", "/candidates/", False, 1),
    ("next page", "/candidates/?page={page}", True, 3),
    ("status filter", "/candidates/?status=%E8%AE%A4%E8%AF%81%E9%80%9A%E8%BF%87", True, 2),  # 认证通过
    ("院系 filter", "/candidates/?department=%E4%BF%A1%E6%81%AF%E5%B7%A5%E7%A8%8B%E5%AD%A6%E9%99%A2", True, 2),
    ("name search", "/candidates/?q=%E7%8E%8B%E4%BC%9F", True, 2),  # 王伟
]


def seed_college(data_dir, database_url, candidates, users):
    """The lists bench's college, with USERS staff accounts that can log in."""
    from app import create_app
    import models
    from models.db import db
    from models.user import STAFF, User
    from lists import seed
    app = create_app({"DATA_DIR": data_dir, "DATABASE_URL": database_url, "SECRET_KEY": "load"})
    with app.app_context(), db.connection_context():
        if not models.is_sqlite():
            models.drop_all()
            models.init_schema()
        with db.atomic():
            seed(candidates, candidates, 100000, random.Random(1))
            for i in range(users):
                user = User(username=f"load{i}", display_name=f"老师{i}", role=STAFF)
                user.set_password(PASSWORD)
                user.save()
        db.execute_sql("ANALYZE" if models.is_sqlite() else "VACUUM ANALYZE")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Session:
    """One user's browser: a keep-alive connection and its cookies."""

    def __init__(self, port):
        self.port, self.cookies, self.connection = port, {}, None

    def request(self, method, url, body=None, headers=None):
        if self.connection is None:
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            self.connection.request(method, url, body=body, headers=headers)
            response = self.connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()
            self.connection = None
            raise
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        if response.will_close:
            self.connection.close()
            self.connection = None
        return response.status, data

    def login(self, username):
        status, page = self.request("GET", "/login")
        token = re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()
        body = urllib.parse.urlencode({"csrf_token": token, "username": username, "password": PASSWORD})
        status, _ = self.request("POST", "/login", body, {"Content-Type": "application/x-www-form-urlencoded"})
        if status not in (302, 303):
            raise RuntimeError(f"login of {username} answered {status}")


def generate(port, users, seconds, pages, queue, rate=None):
    """The load generator's process: USERS threads for SECONDS; puts (kind, ms, error) samples on the queue."""
    sessions = [Session(port) for _ in range(users)]
    for i, session in enumerate(sessions):
        session.login(f"load{i}")
    queue.put("logged in")  # the server's CPU is read from here on (a login hashes a password on purpose)
    logged_in = time.process_time()
    kinds = [entry for entry in MIX for _ in range(entry[3])]
    samples, lock = [], threading.Lock()
    warm_until = time.perf_counter() + 3
    stop_at = warm_until + seconds

    counted = []  # every request, warm-up included: the server's CPU time is divided by these

    def user(session, rng, offset):
        mine, sent = [], 0
        due = time.perf_counter() + offset
        while (started := time.perf_counter()) < stop_at:
            if rate:
                # Back to back with 32 users, a request waits for the 31 sent before it (Little's law: at
                # 300/s that is 107 ms on average); on a schedule it is timed from when it was due.
                time.sleep(max(0.0, due - started))
                started, due = due, due + users / rate
            kind, url, htmx, _ = rng.choice(kinds)
            error = None
            try:
                status, _ = session.request("GET", url.format(page=rng.randint(2, pages)), headers=HX if htmx else {})
                if status != 200:
                    error = f"HTTP {status}"
            except (OSError, http.client.HTTPException) as exc:
                error = type(exc).__name__
            sent += 1
            if started >= warm_until:
                mine.append((kind, (time.perf_counter() - started) * 1000, error))
        with lock:
            samples.extend(mine)
            counted.append(sent)

    threads = [threading.Thread(target=user, args=(s, random.Random(i), i / rate if rate else 0))
               for i, s in enumerate(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    queue.put((samples, sum(counted), time.process_time() - logged_in))


def cpu_seconds(pid):
    """CPU time used so far by a process and its living children (the server's worker processes)."""
    total = 0.0
    children = Path(f"/proc/{pid}/task/{pid}/children")
    for each in [pid] + [int(c) for c in (children.read_text().split() if children.exists() else [])]:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def wait_for(port, server, timeout=300):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if server.poll() is not None:
            raise RuntimeError("the server stopped (see its log above)")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/login")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not answer in time")


def report(samples, seconds):
    print(f"{'kind':<16}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'errors':>8}")
    for kind in [entry[0] for entry in MIX] + ["all"]:
        times = sorted(ms for k, ms, _ in samples if kind in ("all", k))
        errors = sum(1 for k, _, e in samples if e and kind in ("all", k))
        if times:
            p95 = times[max(0, int(len(times) * 0.95 + 0.5) - 1)]
            print(f"{kind:<16}{len(times):>9}{statistics.median(times):>9.1f}{p95:>9.1f}{times[-1]:>9.1f}{errors:>8}")
    print(f"{len(samples) / seconds:.0f} requests/s")
    for error in sorted({e for _, _, e in samples if e}):
        print("error:", error, sum(1 for _, _, e in samples if e == error))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--candidates", type=int, default=100000)
    parser.add_argument("--users", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--threads", type=int, default=None, help="waitress threads (the app's default when not given)")
    parser.add_argument("--workers", type=int, default=None, help="server processes (python app.py --workers N)")
    parser.add_argument("--rate", type=float, default=None, help="requests a second in all, on a schedule")
    parser.add_argument("--data-dir", help="reuse a data directory seeded by an earlier run (SQLite only)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.data_dir or tmp
        if not (args.data_dir and Path(data_dir, "certdesk.db").exists()):
            started = time.perf_counter()
            seed_college(data_dir, args.database_url, args.candidates, args.users)
            print(f"seeded {args.candidates} candidates in {time.perf_counter() - started:.0f} s")
        port = free_port()
        command = [sys.executable, str(ROOT / "app.py"), "--port", str(port)]
        command += ["--threads", str(args.threads)] if args.threads else []
        command += ["--workers", str(args.workers)] if args.workers else []
        env = dict(os.environ, CERTDESK_DATA_DIR=data_dir, DATABASE_URL=args.database_url, SECRET_KEY="load")
        log = open(Path(tmp) / "server.log", "wb")
        server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
        try:
            wait_for(port, server)
            pace = f", {args.rate:g} requests/s on a schedule" if args.rate else ", back to back"
            print(f"{' '.join(command[1:])}: {args.users} users{pace} for {args.seconds:.0f} s; "
                  f"load average before {os.getloadavg()[0]:.1f}")
            queue = multiprocessing.Queue()
            generator = multiprocessing.Process(target=generate, args=(port, args.users, args.seconds,
                                                                       args.candidates // 50, queue, args.rate))
            generator.start()
            result = server_cpu = None
            while result is None and (generator.is_alive() or not queue.empty()):
                try:
                    result = queue.get(timeout=1)
                except Empty:
                    continue
                if result == "logged in":
                    result, server_cpu = None, cpu_seconds(server.pid)
            generator.join()
            if result is None or server_cpu is None:
                raise SystemExit("the load generator failed (above)")
            samples, sent, generator_cpu = result
            report(samples, args.seconds)
            # CPU time a request costs, whatever else ran on the machine: what requests/s would be on idle cores.
            server_cpu = cpu_seconds(server.pid) - server_cpu
            print(f"server CPU {server_cpu * 1000 / sent:.2f} ms a request, load generator "
                  f"{generator_cpu * 1000 / sent:.2f} ms ({sent} requests after the logins, warm-up included)")
        finally:
            server.terminate()
            server.wait(timeout=30)
            log.close()
            if server.returncode not in (0, -15) or sys.exc_info()[0] is not None:
                print(Path(tmp, "server.log").read_text(errors="replace")[-3000:])


if __name__ == "__main__":
    main()
