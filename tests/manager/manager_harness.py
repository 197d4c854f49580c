"""What the manager's black-box tests share (conftest.py, manager_scenarios.py and the
tests): the Manager process handle, clients, pool predicates and waits.
"""
import os
import pathlib
import queue
import re
import signal
import socket
import subprocess
import threading
import time

import requests

ADMIN_PASSWORD = "manager-admin-password-1"
USER_PASSWORD = "user-password-1"
START_LINE = re.compile(
    r"^manager listening on (http://127\.0\.0\.1:(\d+)/) load balancer (http://127\.0\.0\.1:(\d+)/)$")
# A small photo with faces (301x400 PNG), for uploads.
PHOTO = pathlib.Path("testdata") / "face-mask" / "images" / "maksssksksss180.png"


# ----------------------------------------------------------------------------- helpers

class Deadline(AssertionError):
    pass


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, probe, timeout, interval=0.5):
    """Calls probe() until it answers something true; returns that. Fails after `timeout`
    seconds with what the last call answered."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = probe()
        if last:
            return last
        if time.monotonic() > deadline:
            raise Deadline(f"{what}: not within {timeout} s; last seen: {last!r}")
        time.sleep(interval)


def processes_mentioning(path):
    """(pid, command line) of every process whose command line names `path` or a file
    under it."""
    pattern = re.compile(re.escape(os.fsencode(str(path))) + rb"(?=$|[/\x00])")
    found = []
    for entry in pathlib.Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if pattern.search(cmdline):
            found.append((int(entry.name), cmdline.rstrip(b"\0").replace(b"\0", b" ").decode(errors="replace")))
    return found


def pid_alive(pid):
    """Whether `pid` runs (a zombie does not count)."""
    try:
        stat = pathlib.Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2] != "Z"


def port_open(url):
    host, port = re.match(r"http://([\d.]+):(\d+)", url).groups()
    try:
        socket.create_connection((host, int(port)), timeout=2).close()
        return True
    except OSError:
        return False


class Client(requests.Session):
    """A requests.Session against one base URL ("/api/..." paths), with a time limit on
    every request."""

    def __init__(self, base):
        super().__init__()
        self.base = base.rstrip("/")

    def request(self, method, url, *args, **kwargs):
        if url.startswith("/"):
            url = self.base + url
        kwargs.setdefault("timeout", 30)
        return super().request(method, url, *args, **kwargs)


def error_of(response):
    try:
        return response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return {}


# ----------------------------------------------------------------------------- pool views

def in_service(pool):
    return [w for w in pool["workers"] if w["state"] == "in_service"]


def live(pool):
    return [w for w in pool["workers"] if w["state"] in ("starting", "in_service", "draining")]


def settled(pool, n):
    """The pool has exactly n workers in service, all up in the balancer, and nothing
    starting or draining."""
    serving = in_service(pool)
    return (pool["desired_size"] == n
            and pool["counts"].get("in_service") == n
            and pool["counts"].get("starting", 0) == 0
            and pool["counts"].get("draining", 0) == 0
            and len(serving) == n and len(live(pool)) == n
            and all(w["balancer"] and w["balancer"]["state"] == "up" for w in serving))


def worker_url(worker):
    return f"http://{worker['address']}:{worker['port']}"


def worker_name(worker):
    """The name a worker puts in X-Maskfleet-Worker, from its own /healthz."""
    r = requests.get(worker_url(worker) + "/healthz", timeout=10)
    assert r.status_code == 200, f"{worker['id']} /healthz: {r.status_code} {r.text}"
    assert r.json()["worker"] == r.headers["X-Maskfleet-Worker"]
    return r.json()["worker"]


# ----------------------------------------------------------------------------- the manager

class Manager:
    """One `maskfleet manager` process on `data_dir`."""

    def __init__(self, binary, data_dir, env, log_path, start_timeout=60, new_session=False, lb_port=0):
        """`new_session`: the manager leads a process group of its own (as in a terminal),
        which a test may signal as a whole (os.killpg: a Ctrl-C). `lb_port`: HAProxy's
        entry port (0: any free one)."""
        self.binary, self.data_dir, self.env, self.log_path = binary, pathlib.Path(data_dir), env, log_path
        self.crashed = False  # killed on purpose: no exit status to check
        self.api = None
        self._lines = queue.Queue()
        self.process = subprocess.Popen(
            [str(binary), "manager", "--data-dir", str(self.data_dir), "--port", "0", "--lb-port", str(lb_port)],
            stdout=subprocess.PIPE, stderr=open(log_path, "wb"), stdin=subprocess.DEVNULL, env=env, text=True,
            start_new_session=new_session)
        threading.Thread(target=self._pump, daemon=True).start()
        try:
            line = self._lines.get(timeout=start_timeout)
        except queue.Empty:
            line = f"(nothing within {start_timeout} s)"
        match = START_LINE.match(line.rstrip("\n")) if line else None
        if not match:
            self.crashed = True
            self.process.kill()
            self.process.wait()
            problems = self.close()
            raise AssertionError(f"manager did not start as docs/manager.md says: first stdout line {line!r}, "
                                 f"exit status {self.process.returncode}\nstderr:\n{self.stderr()}"
                                 + "".join("\n" + p.split("\nstderr:")[0] for p in problems))
        self.url, self.lb_url = match.group(1), match.group(3)
        self.port, self.lb_port = int(match.group(2)), int(match.group(4))

    def _pump(self):
        for line in self.process.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def stderr(self, tail=6000):
        try:
            return self.log_path.read_text(errors="replace")[-tail:]
        except OSError:
            return ""

    # --- sessions

    def client(self):
        return Client(self.url)

    def login(self, username, password):
        """A client and the answer of POST /api/v1/session; the CSRF header set on success."""
        c = self.client()
        r = c.post("/api/v1/session", json={"username": username, "password": password})
        if r.status_code == 200:
            c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        return c, r

    @property
    def password_file(self):
        return self.data_dir / "initial-admin-password"

    def log_in_as_admin(self):
        """Logs in as `admin`, changing the generated initial password to ADMIN_PASSWORD
        when there is one; sets and returns self.api."""
        if self.password_file.exists():
            initial = self.password_file.read_text().strip()
            c, r = self.login("admin", initial)
            assert r.status_code == 200, f"login with the initial password: {r.status_code} {r.text}"
            assert r.json()["must_change_password"] is True, r.text
            r = c.post("/api/v1/password", json={"current_password": initial, "new_password": ADMIN_PASSWORD})
            assert r.status_code == 200, f"changing the initial password: {r.status_code} {r.text}"
            assert r.json()["must_change_password"] is False, r.text
            c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        else:
            c, r = self.login("admin", ADMIN_PASSWORD)
            assert r.status_code == 200, f"admin login: {r.status_code} {r.text}"
            assert r.json()["must_change_password"] is False, r.text
        self.api = c
        return c

    # --- the pool

    def pool(self):
        r = self.api.get("/api/v1/pool")
        assert r.status_code == 200, f"GET /api/v1/pool: {r.status_code} {r.text}"
        return r.json()

    def wait_pool(self, what, predicate, timeout=60):
        """The first GET /api/v1/pool answer for which predicate(pool) holds."""
        def probe():
            pool = self.pool()
            return pool if predicate(pool) else Unmet(pool)
        return wait_for(what, probe, timeout)

    def wait_settled(self, n, timeout=60):
        return self.wait_pool(f"{n} worker(s) in service, balancer up, none starting or draining",
                              lambda p: settled(p, n), timeout)

    def resize(self, n):
        r = self.api.put("/api/v1/pool/size", json={"size": n})
        assert r.status_code == 202, f"PUT /api/v1/pool/size {n}: {r.status_code} {r.text}"
        assert r.json()["desired_size"] == n, r.text
        return r

    def metrics(self, minutes=30):
        r = self.api.get(f"/api/v1/metrics?minutes={minutes}")
        assert r.status_code == 200, f"GET /api/v1/metrics: {r.status_code} {r.text}"
        return r.json()

    # --- the load balancer

    def lb(self, path):
        return self.lb_url.rstrip("/") + path

    def lb_get(self, path, **kwargs):
        """One request through HAProxy on a new connection."""
        kwargs.setdefault("timeout", 30)
        kwargs.setdefault("headers", {"Connection": "close"})
        return requests.get(self.lb(path), **kwargs)

    def register(self, username, password=USER_PASSWORD):
        r = requests.post(self.lb("/api/register"), data={"username": username, "password": password}, timeout=30)
        assert r.status_code == 200, f"POST /api/register through the LB: {r.status_code} {r.text}"

    def user_client(self, username, password=USER_PASSWORD):
        """A client of the LB logged in as `username` through the worker's JSON API."""
        c = Client(self.lb_url)
        r = c.post("/api/v1/session", json={"username": username, "password": password})
        assert r.status_code == 200, f"user login through the LB: {r.status_code} {r.text}"
        c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        return c

    # --- ending

    def leftovers(self):
        return processes_mentioning(self.data_dir)

    def stop(self, sig=signal.SIGTERM, timeout=30):
        """Sends `sig`; the exit status (None if it did not exit within `timeout`)."""
        self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self):
        """kill -9 of the manager alone."""
        self.crashed = True
        self.process.kill()
        self.process.wait()

    def close(self):
        """Stops the manager if it runs (SIGTERM) and cleans up; the problems seen (exit
        status, processes left behind), to report."""
        problems = []
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                problems.append("did not exit within 60 s of SIGTERM; killed")
                self.process.kill()
                self.process.wait()
        if not self.crashed and self.process.returncode != 0:
            problems.append(f"exit status {self.process.returncode}, not 0")
        left = self.leftovers()
        if left:
            time.sleep(5)
            still = [(pid, cmd) for pid, cmd in self.leftovers()]
            problems.append("processes left behind after the manager exited: "
                            + "; ".join(f"{pid} {cmd}" for pid, cmd in left)
                            + f" (still there 5 s later: {[pid for pid, _ in still]})")
            for pid, _ in still:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        if problems:
            problems = [f"manager on {self.data_dir}: {p}\nstderr:\n{self.stderr(3000)}" for p in problems]
        return problems


class Unmet:
    """A probe's answer that is false but shows what was seen."""

    def __init__(self, seen):
        self.seen = seen

    def __bool__(self):
        return False

    def __repr__(self):
        return repr(self.seen)


class ManagerFactory:
    def __init__(self, binary, env, tmp_path_factory):
        self.binary, self.env, self.tmp_path_factory = binary, env, tmp_path_factory
        self.started = []
        self.count = 0

    def new_data_dir(self):
        # Short paths: HAProxy's runtime socket lives under DATA/haproxy.
        return self.tmp_path_factory.mktemp("mgr") / "data"

    def __call__(self, data_dir=None, log_in=True, new_session=False, lb_port=0):
        data_dir = pathlib.Path(data_dir) if data_dir else self.new_data_dir()
        self.count += 1
        log = data_dir.parent / f"manager-{self.count}.stderr"
        manager = Manager(self.binary, data_dir, self.env, log, new_session=new_session, lb_port=lb_port)
        self.started.append(manager)
        if log_in:
            manager.log_in_as_admin()
        return manager

    def close(self):
        problems = []
        for manager in reversed(self.started):
            problems += manager.close()
        self.started.clear()
        return problems


def upload(session, base_url, username, photo, password=USER_PASSWORD, timeout=60):
    """POST /api/upload of the testing API (a photo for `username`)."""
    return session.post(base_url.rstrip("/") + "/api/upload",
                        data={"username": username, "password": password},
                        files={"file": ("photo.png", photo, "image/png")}, timeout=timeout)
