"""Every command the documentation shows is run here and must succeed.

Commands are the `$ ` lines of ```console blocks in README.md and docs/*.md,
run from the repository root in order of appearance. A doc that shows a command
this test cannot run says why in NOT_RUN_HERE, which names it exactly.
"""
import os
import pathlib
import re
import shutil
import signal
import subprocess
import time

import pytest

from conftest import REPO

# Commands that cannot run inside the test suite, and what runs them instead.
NOT_RUN_HERE = {
    "scripts/test.sh": "it runs this very suite; CI runs it through .ci/run",
    "build/maskfleet worker --data-dir demo-data --port 8081":
        "it serves until stopped; tests/worker starts workers the same way",
    "scripts/mutate.sh detect-anchors":
        "it rebuilds and reruns a component's tests once per mutant (minutes) and edits "
        "the sources meanwhile; 'scripts/mutate.sh --check' here checks that every list "
        "applies",
}

# Commands that serve until stopped: started, checked for the line that says they
# serve, then stopped with Ctrl-C (SIGINT), which must end them with status 0.
SERVES = {
    "scripts/run.sh": "manager listening on http://127.0.0.1:5000/ load balancer http://127.0.0.1:8080/",
}

# Folders the docs' examples create in the repository. Each run starts without them,
# as a reader would; a developer's own copy is moved aside and put back afterwards.
SCRATCH = ["demo-data", "data"]

BLOCK = re.compile(r"```console\n(.*?)```", re.S)


def documented_commands():
    """Each distinct command once, in order of first appearance."""
    seen = set()
    docs = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    for doc in docs:
        for block in BLOCK.findall(doc.read_text()):
            for line in block.splitlines():
                command = line[2:].strip()
                if line.startswith("$ ") and command not in seen:
                    seen.add(command)
                    yield pytest.param(command, id=f"{doc.name}: {command}")


COMMANDS = list(documented_commands())


@pytest.fixture(scope="module", autouse=True)
def fresh_scratch_folders():
    kept = {}
    for name in SCRATCH:
        if (REPO / name).exists():
            kept[name] = REPO / f".{name}.kept-by-doc-test"
            shutil.rmtree(kept[name], ignore_errors=True)
            (REPO / name).rename(kept[name])
    try:
        yield
    finally:
        for name in SCRATCH:
            shutil.rmtree(REPO / name, ignore_errors=True)
            if name in kept:
                kept[name].rename(REPO / name)


def run_server_command(command, env, log_path):
    """Starts `command`, waits for its serving line, stops it with SIGINT."""
    with open(log_path, "w") as log:
        process = subprocess.Popen(["bash", "-c", f"exec {command}"], cwd=REPO, env=env,
                                   stdout=subprocess.PIPE, stderr=log, text=True,
                                   start_new_session=True)
    try:
        deadline = time.monotonic() + 900  # the setup may build first
        lines = []
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            lines.append(line)
            if not line or SERVES[command] in line:
                break
        assert SERVES[command] in lines[-1], \
            f"$ {command}: no serving line\n{''.join(lines[-40:])}\n{log_path.read_text()[-3000:]}"
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=90) == 0, log_path.read_text()[-3000:]
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_the_docs_show_commands():
    assert len(COMMANDS) >= 5


@pytest.mark.parametrize("command", COMMANDS)
def test_documented_command_succeeds(command, tmp_path):
    if command in NOT_RUN_HERE:
        pytest.skip(NOT_RUN_HERE[command])
    env = {**os.environ, "TMPDIR": str(tmp_path),
           # benchmarks: briefly; the figures come from full runs
           "BENCH_SECONDS": "3"}
    if command in SERVES:
        run_server_command(command, env, tmp_path / "server.log")
        return
    result = subprocess.run(command, shell=True, cwd=REPO, capture_output=True, text=True,
                            timeout=900, env=env)
    assert result.returncode == 0, f"$ {command}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
