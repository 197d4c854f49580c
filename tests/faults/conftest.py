"""Fixtures of the fault suite (test_faults.py, docs/reliability.md): managers started
on loopback with their workers and HAProxy, with the settings a case needs, and the
photo the load uploads.

The short form (CTest's pytest_faults) runs every case briefly; the long form
(scripts/faults.sh, MASKFLEET_FAULTS_LONG=1) runs them with more load and adds the
soak.
"""
import os
import pathlib
import queue
import subprocess
import sys
import threading

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "manager"))

from manager_harness import PHOTO, START_LINE, Manager, ManagerFactory  # noqa: E402


class FixedPortManager(Manager):
    """A manager on given ports (0: any), so that a restarted one is found where the
    clients look; otherwise as manager_harness.Manager."""

    def __init__(self, binary, data_dir, env, log_path, port=0, lb_port=0, start_timeout=60):
        self.binary, self.data_dir, self.env, self.log_path = binary, pathlib.Path(data_dir), env, log_path
        self.crashed = False
        self.api = None
        self._lines = queue.Queue()
        self.process = subprocess.Popen(
            [str(binary), "manager", "--data-dir", str(self.data_dir), "--port", str(port),
             "--lb-port", str(lb_port)],
            stdout=subprocess.PIPE, stderr=open(log_path, "ab"), stdin=subprocess.DEVNULL, env=env, text=True)
        threading.Thread(target=self._pump, daemon=True).start()
        try:
            line = self._lines.get(timeout=start_timeout)
        except queue.Empty:
            line = None
        match = START_LINE.match(line.rstrip("\n")) if line else None
        if not match:
            self.crashed = True
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"manager did not start: first line {line!r}\nstderr:\n{self.stderr()}")
        self.url, self.lb_url = match.group(1), match.group(3)
        self.port, self.lb_port = int(match.group(2)), int(match.group(4))


class FaultManagers(ManagerFactory):
    """ManagerFactory with per-manager environment additions and fixed ports."""

    def start(self, data_dir=None, extra_env=None, port=0, lb_port=0):
        data_dir = pathlib.Path(data_dir) if data_dir else self.new_data_dir()
        data_dir.mkdir(parents=True, exist_ok=True)
        self.count += 1
        log = data_dir.parent / f"manager-{self.count}.stderr"
        manager = FixedPortManager(self.binary, data_dir, {**self.env, **(extra_env or {})}, log, port, lb_port)
        self.started.append(manager)
        manager.log_in_as_admin()
        return manager


@pytest.fixture
def managers(maskfleet_bin, model_dir, tmp_path_factory):
    env = {**os.environ, "MASKFLEET_MODEL_DIR": str(model_dir),
           "MASKFLEET_AUTH_PASSWORD_HASHING": "minimum"}
    factory = FaultManagers(maskfleet_bin, env, tmp_path_factory)
    yield factory
    problems = factory.close()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture(scope="session")
def photo(shared_dir):
    return (shared_dir / PHOTO).read_bytes()
