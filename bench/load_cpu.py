"""The CPU time one 考生管理 request of bench/load.py's mix costs, measured in one process through Flask's test
client: steadier than the load test on a shared machine, for comparing two builds.

    python bench/load_cpu.py DATA_DIR [REQUESTS]       (DATA_DIR: one bench/load.py --data-dir seeded)
    for i in 1 2 3; do for src in /path/to/old /path/to/new; do (cd $src && python bench/load_cpu.py /tmp/loaddir); done; done

Prints the mean CPU milliseconds a request, overall and per kind, after 200 requests of warm-up. The random
pages and the mix's weights are bench/load.py's, with a fixed seed, so two builds answer the same requests.
"""
import random
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from load import HX, MIX, PASSWORD  # noqa: E402


def main():
    from app import create_app
    data_dir, count = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    client = create_app({"DATA_DIR": data_dir, "SECRET_KEY": "load"}).test_client()
    form = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    response = client.post("/login", data={"username": "load0", "password": PASSWORD, "csrf_token": token})
    assert response.status_code in (302, 303), "log in as bench/load.py's load0: seed DATA_DIR with it first"
    rng, kinds = random.Random(1), [entry for entry in MIX for _ in range(entry[3])]

    def one():
        kind, url, htmx, _ = rng.choice(kinds)
        response = client.get(url.format(page=rng.randint(1, 2000)), headers=HX if htmx else {})
        assert response.status_code == 200, (url, response.status_code)
        return kind

    for _ in range(200):
        one()
    spent = {}
    for _ in range(count):
        started = time.process_time()
        kind = one()
        spent.setdefault(kind, []).append(time.process_time() - started)
    every = [t for times in spent.values() for t in times]
    print(f"{Path.cwd()}: {sum(every) * 1000 / len(every):.2f} ms of CPU a request "
          + ", ".join(f"{kind} {sum(t) * 1000 / len(t):.2f}" for kind, t in spent.items()))


if __name__ == "__main__":
    main()
