"""Expensive requests in bulk leave the worker able to serve: its /healthz and other users.

Each case runs a real worker with the thread counts the local pool gives its workers
(8 HTTP threads, 1 detection thread, 3 waiting) and the real Argon2id cost, sends a burst
of expensive requests at once, and meanwhile measures /healthz and another user's
uploads. The figures are printed (pytest -s) and bounded by the assertions below; on this
shared machine the bounds are looser than the figures usually seen (docs/operations.md).
"""
import concurrent.futures
import http.server
import io
import socketserver
import statistics
import subprocess
import sys
import threading
import time

import pytest
import requests

POOL_THREADS = {"worker_http_threads": 8, "worker_detection_threads": 1,
                "worker_detection_queue": 3}

# The balancer's health check gives a worker this long (lb/haproxy: check_timeout).
CHECK_TIMEOUT_S = 1.0


@pytest.fixture(scope="module")
def busy_worker(worker_factory, backend):
    if backend:
        pytest.skip("the bounds are the worker's own; one database is enough")
    return worker_factory(auth_password_hashing="interactive", worker_allow_private_urls="true",
                          **POOL_THREADS)


def upload(worker, username, password, data, timeout=30):
    return requests.post(f"{worker.url}/api/upload",
                         data={"username": username, "password": password},
                         files={"file": ("photo.jpg", io.BytesIO(data))}, timeout=timeout)


# The health probe runs in a process of its own, so that the test's own threads (40
# clients at once) cannot delay it: it checks /healthz every 50 ms until its stdin
# closes, then prints one "seconds status" line per check.
HEALTH_PROBE = """
import sys, threading, time, requests
url, stop, lines = sys.argv[1], threading.Event(), []
threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
while not stop.is_set():
    start = time.monotonic()
    try:
        status = requests.get(url, timeout=30).status_code
    except requests.RequestException as e:
        status = type(e).__name__
    lines.append(f"{time.monotonic() - start:.4f} {status}")
    stop.wait(0.05)
print("\\n".join(lines))
"""


class Probe:
    """Measures /healthz every 50 ms (in a process of its own) and another user's
    uploads, one after another, until stopped."""

    def __init__(self, worker, username, password, photo):
        self.worker, self.username, self.password, self.photo = worker, username, password, photo
        self.health, self.uploads = [], []  # (seconds, status or exception name)
        self.stopping = threading.Event()
        self.uploader = threading.Thread(target=self.probe_uploads)

    def probe_uploads(self):
        while not self.stopping.is_set():
            start = time.monotonic()
            try:
                status = upload(self.worker, self.username, self.password, self.photo).status_code
            except requests.RequestException as e:
                status = type(e).__name__
            self.uploads.append((time.monotonic() - start, status))

    def __enter__(self):
        self.checker = subprocess.Popen([sys.executable, "-c", HEALTH_PROBE, f"{self.worker.url}/healthz"],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.uploader.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        out, _ = self.checker.communicate(input="", timeout=60)
        for line in out.splitlines():
            seconds, status = line.split()
            self.health.append((float(seconds), int(status) if status.isdigit() else status))
        self.uploader.join(timeout=60)

    def report(self, what):
        health = sorted(s for s, _ in self.health)
        uploads = [s for s, _ in self.uploads]
        print(f"\n{what}: /healthz {len(health)} checks, median {statistics.median(health) * 1000:.0f} ms, "
              f"95th percentile {health[int(len(health) * 0.95)] * 1000:.0f} ms, max {max(health) * 1000:.0f} ms, "
              f"statuses {sorted({str(c) for _, c in self.health})}; "
              f"other user's uploads {len(uploads)}, max {max(uploads or [0]) * 1000:.0f} ms, "
              f"statuses {sorted({str(c) for _, c in self.uploads})}")


def registered_user(worker, username, photo):
    password = username + "-password"
    r = requests.post(f"{worker.url}/api/register", data={"username": username, "password": password},
                      timeout=30)
    assert r.status_code == 200, r.text
    # The first upload verifies the password with Argon2id; later ones hit the cache.
    assert upload(worker, username, password, photo).status_code == 200
    return password


def burst(count, request):
    with concurrent.futures.ThreadPoolExecutor(count) as pool:
        futures = [pool.submit(request, i) for i in range(count)]
        results = []
        for f in futures:
            try:
                results.append(f.result())
            except requests.RequestException as e:
                results.append(type(e).__name__)
        return results


def test_a_burst_of_wrong_passwords_leaves_healthz_and_other_users_served(busy_worker, photos):
    photo = photos["no_faces"].read_bytes()
    password = registered_user(busy_worker, "steady", photo)

    def wrong_password(i):
        # Another address each time would be the same; distinct passwords defeat any
        # sharing of identical checks: the worst case for the bound.
        r = upload(busy_worker, f"nobody{i}", f"wrong-password-{i}", photo)
        if r.status_code == 503:
            # The specification's error shape, with when to try again.
            assert r.headers.get("Retry-After") == "1", r.headers
            assert r.json()["success"] is False and r.json()["error"]["code"] == 503, r.text
        return r.status_code

    with Probe(busy_worker, "steady", password, photo) as probe:
        time.sleep(0.3)
        statuses = burst(40, wrong_password)
        time.sleep(0.5)
    probe.report("40 concurrent wrong-password uploads")
    print("burst statuses:", sorted(statuses, key=str))

    assert set(statuses) <= {401, 429, 503}, statuses
    assert 503 in statuses, "the burst did not reach the bound; the test proves nothing"
    assert max(s for s, _ in probe.health) < CHECK_TIMEOUT_S / 2
    assert all(c == 200 for _, c in probe.health)
    assert probe.uploads and all(c == 200 for _, c in probe.uploads), probe.uploads


class DripHandler(http.server.BaseHTTPRequestHandler):
    """Answers every GET with a JPEG's headers, then one byte a second until the
    server's `stop` event is set."""

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "image/jpeg")
        self.send_header("Content-Length", "100000")
        self.end_headers()
        self.wfile.write(b"\xff")
        while not self.server.stop.wait(1.0):
            try:
                self.wfile.write(b"\xd8")
                self.wfile.flush()
            except OSError:
                return

    def log_message(self, *args):
        pass


class DripServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    request_queue_size = 64


def test_slow_url_uploads_leave_healthz_and_other_users_served(busy_worker, photos):
    photo = photos["no_faces"].read_bytes()
    password = registered_user(busy_worker, "patient", photo)
    drip = DripServer(("127.0.0.1", 0), DripHandler)
    drip.stop = threading.Event()
    threading.Thread(target=drip.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{drip.server_address[1]}/slow.jpg"
    session = busy_worker.session("patient", password)

    def slow_url(i):
        return session.post(f"{busy_worker.url}/api/v1/images", json={"url": url}, timeout=30).status_code

    try:
        with Probe(busy_worker, "patient", password, photo) as probe:
            time.sleep(0.3)
            with concurrent.futures.ThreadPoolExecutor(30) as pool:
                futures = [pool.submit(slow_url, i) for i in range(30)]
                time.sleep(6)  # the fetches drip meanwhile
                drip.stop.set()  # end them, so that the test stays short
                statuses = []
                for f in futures:
                    try:
                        statuses.append(f.result())
                    except requests.RequestException as e:
                        statuses.append(type(e).__name__)
    finally:
        drip.stop.set()
        drip.shutdown()
        drip.server_close()
    probe.report("30 concurrent URL uploads at 1 byte/s")
    print("URL upload statuses:", sorted(statuses, key=str))

    assert set(statuses) <= {400, 503, 504}, statuses
    assert max(s for s, _ in probe.health) < CHECK_TIMEOUT_S / 2
    assert all(c == 200 for _, c in probe.health)
    assert probe.uploads and all(c == 200 for _, c in probe.uploads), probe.uploads
