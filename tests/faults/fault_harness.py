"""What the fault cases share: load through HAProxy, the outcome of every request, the
consistency check of the stored photos, /healthz timing, and the report rows.

A case starts a real manager (local mode) with its workers behind HAProxy
(tests/manager/manager_harness.py), registers users, starts `Load` (client threads
uploading a photo through HAProxy with POST /api/upload, each file named uniquely),
injects one fault, stops the load and then checks, with `check_consistency`, that
every upload answered 2xx is stored (its row, its three files, readable through the
API) and that no photo is stored without its row or row without its files.

Each case reports one `Report` row; `report.py` prints them as the table of
docs/reliability.md.
"""
import dataclasses
import json
import os
import pathlib
import sqlite3
import subprocess
import sys
import threading
import time

import requests
import requests.adapters

from manager_harness import USER_PASSWORD, Client

# The long form (scripts/faults.sh): longer loads, more clients, the soak.
LONG = os.environ.get("MASKFLEET_FAULTS_LONG") == "1"
# Where each case appends its report row (JSON lines), when set.
REPORT_FILE = os.environ.get("MASKFLEET_FAULTS_REPORT")


# ----------------------------------------------------------------------------- outcomes

@dataclasses.dataclass
class Outcome:
    """One request: when it started and ended (monotonic seconds), its HTTP status or 0
    for a connection error (refused, reset, timed out), and the file name it uploaded."""
    started: float
    ended: float
    status: int
    name: str = ""
    user: str = ""

    @property
    def ok(self):
        return 200 <= self.status < 300


def summarise(outcomes):
    return {
        "sent": len(outcomes),
        "2xx": sum(1 for o in outcomes if 200 <= o.status < 300),
        "4xx": sum(1 for o in outcomes if 400 <= o.status < 500),
        "5xx": sum(1 for o in outcomes if o.status >= 500),
        "500": sum(1 for o in outcomes if o.status == 500),
        "conn_errors": sum(1 for o in outcomes if o.status == 0),
    }


def recovery_seconds(outcomes, fault_at):
    """Seconds from the fault to the end of the last failed request (status not 2xx, or
    a connection error) that started after it: how long clients saw failures. 0 when
    none failed; None when no request started after the fault succeeded (not
    recovered)."""
    after = [o for o in outcomes if o.started >= fault_at]
    if not any(o.ok for o in after):
        return None
    failed = [o for o in after if not o.ok]
    if not failed:
        return 0.0
    last_failure = max(o.ended for o in failed)
    if not any(o.ok and o.started >= last_failure - 0.001 for o in after):
        return None
    return round(last_failure - fault_at, 2)


# ----------------------------------------------------------------------------- load

class SourceAddressAdapter(requests.adapters.HTTPAdapter):
    """Connects from a given local address (another loopback address, 127.0.0.2, is
    another client address for the workers' throttles)."""

    def __init__(self, source, **kwargs):
        self.source = source
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kwargs)


class Load:
    """`clients` threads, each uploading `photo` for one of `users` through `lb_url`
    (base URL, or a callable giving it, for a balancer whose port changes) until
    stop(), or until `max_requests` were sent in all. Each upload is named
    <tag>-<thread>-<n>.png, so that the consistency check finds its row."""

    def __init__(self, lb_url, users, photo, clients, tag, max_requests=None, timeout=60,
                 password=USER_PASSWORD, pause=0.0, source_address=None):
        self.lb_url = lb_url if callable(lb_url) else (lambda: lb_url)
        self.source_address = source_address
        self.users, self.photo, self.tag = users, photo, tag
        self.password, self.timeout, self.pause = password, timeout, pause
        self.max_requests = max_requests
        self.outcomes = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._sent = 0
        self._threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(clients)]

    def start(self):
        for t in self._threads:
            t.start()
        return self

    def _next(self):
        with self._lock:
            if self._stop.is_set() or (self.max_requests is not None and self._sent >= self.max_requests):
                return None
            self._sent += 1
            return self._sent

    def _session(self):
        session = requests.Session()
        if self.source_address:
            session.mount("http://", SourceAddressAdapter(self.source_address))
        return session

    def _run(self, index):
        session = self._session()
        n = 0
        while True:
            seq = self._next()
            if seq is None:
                return
            n += 1
            user = self.users[(index + n) % len(self.users)]
            name = f"{self.tag}-{index}-{n}.png"
            started = time.monotonic()
            try:
                r = session.post(self.lb_url().rstrip("/") + "/api/upload",
                                 data={"username": user, "password": self.password},
                                 files={"file": (name, self.photo, "image/png")}, timeout=self.timeout)
                status = r.status_code
            except requests.RequestException:
                status = 0
                session.close()
                session = self._session()
            with self._lock:
                self.outcomes.append(Outcome(started, time.monotonic(), status, name, user))
            if self.pause:
                time.sleep(self.pause)
            if not 200 <= status < 300:
                # A client waits a little before it tries again.
                self._stop.wait(0.1)

    def stop(self, timeout=120):
        self._stop.set()
        for t in self._threads:
            t.join(timeout)
        return self.outcomes

    def wait(self, timeout):
        """Waits for a load bounded by max_requests to finish."""
        deadline = time.monotonic() + timeout
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))
        return self.outcomes

    def count_ok(self):
        with self._lock:
            return sum(1 for o in self.outcomes if o.ok)


def wait_uploads_ok(load, at_least, timeout):
    """Waits until `load` has at least `at_least` successful uploads."""
    deadline = time.monotonic() + timeout
    while load.count_ok() < at_least:
        if time.monotonic() > deadline:
            raise AssertionError(f"fewer than {at_least} uploads succeeded within {timeout} s: "
                                 f"{summarise(load.outcomes)}")
        time.sleep(0.2)


# ----------------------------------------------------------------------------- health

# The probe runs in a process of its own (as tests/worker/test_overload.py's does): in the
# test's process its timings would include waits for the interpreter lock, which the
# load's dozens of client threads take turns holding.
_HEALTH_PROBE = """
import json, sys, threading, time, requests
urls, interval, timeout = json.loads(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
stop, samples = threading.Event(), []
threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
while not stop.is_set():
    for url in urls:
        started = time.monotonic()
        try:
            status = requests.get(url.rstrip("/") + "/healthz", timeout=timeout,
                                  headers={"Connection": "close"}).status_code
        except requests.RequestException:
            status = 0
        samples.append((url, time.monotonic() - started if status else timeout, status))
    stop.wait(interval)
print(json.dumps(samples))
"""


class HealthProbe:
    """GET /healthz on each of `urls` every `interval` s on a fresh connection, from a
    process of its own; keeps the slowest answer (a failure counts as `timeout`)."""

    def __init__(self, urls, interval=0.1, timeout=5.0):
        self.urls, self.interval, self.timeout = urls, interval, timeout
        self.samples = []  # (url, seconds, status)
        self._process = None

    def start(self):
        self._process = subprocess.Popen(
            [sys.executable, "-c", _HEALTH_PROBE, json.dumps(self.urls), str(self.interval), str(self.timeout)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        return self

    def stop(self):
        out, _ = self._process.communicate(input="", timeout=60)
        self.samples = [tuple(s) for s in json.loads(out or "[]")]
        return self.samples

    def slowest_ms(self):
        return round(max((s for _, s, _ in self.samples), default=0.0) * 1000, 1)


# ----------------------------------------------------------------------------- consistency

def database_rows(db_path):
    """(source_name, original_key, annotated_key, thumbnail_key, owner) of every image
    row, read through a read-only connection."""
    uri = f"file:{db_path}?mode=ro"
    for attempt in range(50):
        try:
            with sqlite3.connect(uri, uri=True, timeout=10) as db:
                return db.execute("SELECT i.source_name, i.original_key, i.annotated_key, i.thumbnail_key, "
                                  "u.username, i.id FROM images i JOIN users u ON u.id = i.owner_id").fetchall()
        except sqlite3.OperationalError:
            if attempt == 49:
                raise
            time.sleep(0.2)
    return []


def stored_object_keys(objects_root):
    """The keys of the photos stored under `objects_root` (temporary files of an
    interrupted write, '.tmp-*', are not objects)."""
    root = pathlib.Path(objects_root)
    if not root.exists():
        return set()
    # The workers' readiness probe puts and deletes a small object under readiness/.
    return {str(p.relative_to(root)) for p in root.rglob("*")
            if p.is_file() and not p.name.startswith(".tmp-") and p.relative_to(root).parts[0] != "readiness"}


# A manager that sweeps photo objects left without a row quickly: a key still without a
# row ORPHAN_GRACE_S after it was first seen goes (the default grace is an hour). Only
# for cases that never hold an upload between its objects and its row that long.
FAST_ORPHAN_SWEEP_ENV = {"MASKFLEET_MANAGER_ORPHAN_GRACE_SECONDS": "3", "MASKFLEET_MANAGER_ORPHAN_SWEEP_SECONDS": "1"}


def wait_orphans_swept(data_dir, db_path=None, timeout=20):
    """Waits until every stored photo object has its row (the manager's sweeper at
    FAST_ORPHAN_SWEEP_ENV removes the others), at most `timeout` seconds; returns the
    seconds waited (the check after it reports what is left)."""
    data_dir = pathlib.Path(data_dir)
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        referenced = {key for row in database_rows(db_path or data_dir / "maskfleet.db") for key in row[1:4]}
        if not stored_object_keys(data_dir / "objects") - referenced:
            break
        time.sleep(0.5)
    return round(time.monotonic() - started, 1)


@dataclasses.dataclass
class Consistency:
    lost: list            # answered 2xx, no row
    stored_but_failed: list  # a row for an upload whose client saw a failure
    duplicates: list      # more than one row for one upload
    rows_without_files: list
    files_without_rows: list
    unreadable: list      # a 2xx upload the API does not give back

    @property
    def ok(self):
        return not (self.lost or self.duplicates or self.rows_without_files or self.files_without_rows
                    or self.unreadable)

    def summary(self):
        return {k: len(v) for k, v in dataclasses.asdict(self).items()}


def check_consistency(data_dir, outcomes, lb_url, photo, db_path=None, read_back=20):
    """Compares what the clients were told with what is stored in `data_dir` (its
    SQLite database and object folder). Reads back through the API (via `lb_url`) up
    to `read_back` of the successful uploads, spread over the run."""
    data_dir = pathlib.Path(data_dir)
    rows = database_rows(db_path or data_dir / "maskfleet.db")
    by_name = {}
    for row in rows:
        by_name.setdefault(row[0], []).append(row)
    ok_names = {o.name for o in outcomes if o.ok}
    failed_names = {o.name for o in outcomes if not o.ok}
    keys = stored_object_keys(data_dir / "objects")
    referenced = set()
    rows_without_files = []
    for row in rows:
        for key in row[1:4]:
            referenced.add(key)
            if key not in keys:
                rows_without_files.append((row[0], key))
    result = Consistency(
        lost=sorted(ok_names - by_name.keys()),
        stored_but_failed=sorted(failed_names & by_name.keys()),
        duplicates=sorted(name for name, found in by_name.items() if len(found) > 1),
        rows_without_files=rows_without_files,
        files_without_rows=sorted(keys - referenced),
        unreadable=[])
    successes = [o for o in outcomes if o.ok and o.name in by_name]
    step = max(1, len(successes) // max(1, read_back))
    clients = {}
    for outcome in successes[::step][:read_back]:
        row = by_name[outcome.name][0]
        client = clients.get(outcome.user)
        if client is None:
            client = clients[outcome.user] = Client(lb_url)
            r = client.post("/api/v1/session", json={"username": outcome.user, "password": USER_PASSWORD})
            assert r.status_code == 200, f"login of {outcome.user} to read back: {r.status_code} {r.text}"
        r = client.get(f"/api/v1/images/{row[5]}/original")
        if r.status_code != 200 or r.content != photo:
            result.unreadable.append((outcome.name, r.status_code))
    return result


# ----------------------------------------------------------------------------- report

@dataclasses.dataclass
class Report:
    case: str
    fault: str
    counts: dict
    recovery_s: object = None
    consistency: dict = None
    healthz_max_ms: object = None
    notes: str = ""

    def write(self):
        if REPORT_FILE:
            with open(REPORT_FILE, "a") as f:
                f.write(json.dumps(dataclasses.asdict(self)) + "\n")
        print(json.dumps(dataclasses.asdict(self)))


# ----------------------------------------------------------------------------- the system

def mount_tmpfs(path, size_mb):
    """Mounts a tmpfs of `size_mb` MiB at `path` (root only); returns whether it did."""
    path = pathlib.Path(path)
    path.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(path)],
                       capture_output=True, text=True)
    return r.returncode == 0


def umount(path):
    for _ in range(50):
        if subprocess.run(["umount", str(path)], capture_output=True).returncode == 0:
            return
        time.sleep(0.2)
    subprocess.run(["umount", "-l", str(path)], capture_output=True)


def fill_disk(path):
    """Writes a file under `path` until its file system is full; returns the file."""
    filler = pathlib.Path(path) / "filler"
    with open(filler, "wb") as f:
        chunk = b"\0" * (1 << 20)
        try:
            while True:
                f.write(chunk)
                f.flush()
        except OSError:
            pass
    # The last bytes too: small writes until nothing fits.
    try:
        with open(filler, "ab") as f:
            while True:
                f.write(b"\0" * 4096)
                f.flush()
    except OSError:
        pass
    return filler



def haproxy_pids(data_dir):
    from manager_harness import processes_mentioning
    return [pid for pid, cmd in processes_mentioning(pathlib.Path(data_dir) / "haproxy") if "haproxy" in cmd]
