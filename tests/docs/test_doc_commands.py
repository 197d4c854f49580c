"""Every command the documentation shows is run here and must succeed.

Commands are the `$ ` lines of ```console blocks in README.md and docs/*.md,
run from the repository root in order of appearance. A doc that shows a command
this test cannot run says why in NOT_RUN_HERE, which names it exactly.
"""
import os
import pathlib
import re
import shutil
import subprocess

import pytest

from conftest import REPO

# Commands that cannot run inside the test suite, and what runs them instead.
NOT_RUN_HERE = {
    "scripts/test.sh": "it runs this very suite; CI runs it through .ci/run",
    "build/maskfleet worker --data-dir demo-data --port 8081":
        "it serves until stopped; tests/worker starts workers the same way",
}

# Folders the docs' examples create in the repository, removed before the run so
# that each run starts as a reader would.
SCRATCH = ["demo-data"]

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
    for name in SCRATCH:
        shutil.rmtree(REPO / name, ignore_errors=True)
    yield
    for name in SCRATCH:
        shutil.rmtree(REPO / name, ignore_errors=True)


def test_the_docs_show_commands():
    assert len(COMMANDS) >= 5


@pytest.mark.parametrize("command", COMMANDS)
def test_documented_command_succeeds(command, tmp_path):
    if command in NOT_RUN_HERE:
        pytest.skip(NOT_RUN_HERE[command])
    result = subprocess.run(command, shell=True, cwd=REPO, capture_output=True, text=True,
                            timeout=900, env={**os.environ, "TMPDIR": str(tmp_path),
                                              # benchmarks: briefly; the figures come from full runs
                                              "BENCH_SECONDS": "3"})
    assert result.returncode == 0, f"$ {command}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
