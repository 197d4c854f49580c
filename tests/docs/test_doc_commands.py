"""Every command the documentation shows is run here and must succeed.

Commands are the `$ ` lines of ```console blocks in README.md and docs/*.md,
run from the repository root in order of appearance. A doc that shows a command
this test cannot run says why in NOT_RUN_HERE, which names it exactly.
"""
import os
import pathlib
import re
import subprocess

import pytest

from conftest import REPO

# Commands that cannot run inside the test suite, and what runs them instead.
NOT_RUN_HERE = {
    "scripts/test.sh": "it runs this very suite; CI runs it through .ci/run",
}

BLOCK = re.compile(r"```console\n(.*?)```", re.S)


def documented_commands():
    docs = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    for doc in docs:
        for block in BLOCK.findall(doc.read_text()):
            for line in block.splitlines():
                if line.startswith("$ "):
                    yield pytest.param(line[2:].strip(), id=f"{doc.name}: {line[2:].strip()}")


COMMANDS = list(documented_commands())


def test_the_docs_show_commands():
    assert len(COMMANDS) >= 5


@pytest.mark.parametrize("command", COMMANDS)
def test_documented_command_succeeds(command, tmp_path):
    if command in NOT_RUN_HERE:
        pytest.skip(NOT_RUN_HERE[command])
    result = subprocess.run(command, shell=True, cwd=REPO, capture_output=True, text=True,
                            timeout=900, env={**os.environ, "TMPDIR": str(tmp_path)})
    assert result.returncode == 0, f"$ {command}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
