"""A real worker process per test module, on 127.0.0.1 with a temporary data folder.

`worker_factory(data_dir=None, **settings)` starts one (settings become MASKFLEET_*
environment variables) and stops it at the end of the module. Each worker gets an
administrator `admin` created with `maskfleet user add`, as a person would.

Every module runs three times: on SQLite, and on the PostgreSQL and MariaDB
servers that scripts/test.sh starts (MASKFLEET_TEST_POSTGRES_URL,
MASKFLEET_TEST_MYSQL_URL), each worker on a database of its own.
"""
import os
import re
import signal
import subprocess
import urllib.parse
import uuid

import pytest
import requests

ADMIN_PASSWORD = "admin-password-1"


class Worker:
    def __init__(self, binary, data_dir, env):
        self.binary, self.env = binary, env
        self.data_dir = data_dir
        self.process = subprocess.Popen(
            [str(binary), "worker", "--port", "0", "--data-dir", str(data_dir)],
            stdout=subprocess.PIPE, stderr=open(data_dir / "worker.log", "wb"), env=env, text=True)
        line = self.process.stdout.readline()
        match = re.match(r"listening on ([\d.]+):(\d+)", line)
        if not match:
            self.process.kill()
            log = (data_dir / "worker.log").read_text(errors="replace")
            raise RuntimeError(f"worker did not start: {line!r}\n{log}")
        self.url = f"http://{match.group(1)}:{match.group(2)}"

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                assert self.process.wait(timeout=20) == 0
            except subprocess.TimeoutExpired:
                self.process.kill()
                raise

    def session(self, username="admin", password=ADMIN_PASSWORD):
        """A requests.Session logged in through the JSON API, with its CSRF header set."""
        s = requests.Session()
        r = s.post(f"{self.url}/api/v1/session", json={"username": username, "password": password},
                   timeout=30)
        assert r.status_code == 200, r.text
        s.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        s.base = self.url
        return s

    def objects(self):
        root = self.data_dir / "objects"
        return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


SERVER_URL_VARIABLES = {"postgresql": "MASKFLEET_TEST_POSTGRES_URL",
                        "mysql": "MASKFLEET_TEST_MYSQL_URL"}


def create_database(server_url):
    """A new, empty database on the server of `server_url`; its URL."""
    url = urllib.parse.urlsplit(server_url)
    name = "mf_" + uuid.uuid4().hex[:12]
    if url.scheme.startswith("postgres"):
        subprocess.run(["psql", "-q", server_url, "-c", f"CREATE DATABASE {name}"], check=True,
                       capture_output=True, timeout=60)
    else:
        subprocess.run(["mysql", "-h", url.hostname, "-P", str(url.port), "-u",
                        urllib.parse.unquote(url.username),
                        f"-p{urllib.parse.unquote(url.password)}", "-e", f"CREATE DATABASE {name}"],
                       check=True, capture_output=True, timeout=60)
    return urllib.parse.urlunsplit(url._replace(path="/" + name))


@pytest.fixture(scope="module", params=["sqlite", "postgresql", "mysql"])
def backend(request):
    """The database server URL to make worker databases on; None for SQLite."""
    if request.param == "sqlite":
        return None
    url = os.environ.get(SERVER_URL_VARIABLES[request.param])
    if not url:
        pytest.skip(f"{SERVER_URL_VARIABLES[request.param]} is not set (scripts/test.sh sets it)")
    return url


@pytest.fixture(scope="module")
def worker_factory(maskfleet_bin, model_dir, tmp_path_factory, backend):
    started = []

    def start(data_dir=None, **settings):
        data_dir = data_dir or tmp_path_factory.mktemp("worker")
        env = {**os.environ, "MASKFLEET_MODEL_DIR": str(model_dir),
               # Argon2id at its minimum cost keeps hundreds of logins fast; the real
               # cost is tested in the C++ unit tests.
               "MASKFLEET_AUTH_PASSWORD_HASHING": "minimum"}
        if backend:
            env["MASKFLEET_DATABASE_URL"] = create_database(backend)
        env.update({f"MASKFLEET_{k.upper()}": str(v) for k, v in settings.items()})
        subprocess.run([str(maskfleet_bin), "user", "add", "--admin", "admin", "--email",
                        "admin@example.com", "--data-dir", str(data_dir)],
                       input=ADMIN_PASSWORD + "\n", text=True, env=env, check=True,
                       capture_output=True, timeout=60)
        worker = Worker(maskfleet_bin, data_dir, env)
        started.append(worker)
        return worker

    def sibling(worker):
        """A second worker on the same database, objects and outbox, as behind a load balancer."""
        twin = Worker(worker.binary, worker.data_dir, worker.env)
        started.append(twin)
        return twin

    start.sibling = sibling
    yield start
    for worker in started:
        worker.stop()


@pytest.fixture(scope="module")
def worker(worker_factory):
    return worker_factory()


@pytest.fixture(scope="session")
def photos(shared_dir):
    images = shared_dir / "testdata" / "face-mask" / "images"
    return {
        "all_masked": images / "maksssksksss650.png",
        "none_masked": images / "maksssksksss217.png",
        "some_masked": images / "maksssksksss119.png",
        "no_faces": shared_dir / "testdata" / "no-face" / "rocket.jpg",
    }
