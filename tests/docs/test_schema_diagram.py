"""docs/database.md's diagram is the schema of the migrations (scripts/schema-diagram.py).

The documentation-commands test runs `scripts/schema-diagram.py --check` too; these
check that the check itself notices a diagram that drifted and an index nobody
explained, and that it passes on the page as committed.
"""
import os
import shutil
import subprocess
import sys

from conftest import REPO

SCRIPT = REPO / "scripts" / "schema-diagram.py"


def check(maskfleet_bin, page):
    env = dict(os.environ, MASKFLEET_BIN=str(maskfleet_bin))
    return subprocess.run([sys.executable, str(SCRIPT), "--check", str(page)], env=env,
                          capture_output=True, text=True, timeout=120)


def test_the_committed_diagram_is_the_schema_of_the_migrations(maskfleet_bin):
    result = check(maskfleet_bin, REPO / "docs" / "database.md")
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_diagram_that_drifted_fails_the_check(maskfleet_bin, tmp_path):
    page = tmp_path / "database.md"
    shutil.copy(REPO / "docs" / "database.md", page)
    text = page.read_text()
    assert "    varchar email" in text
    page.write_text(text.replace("    varchar email", "    varchar e_mail", 1))
    result = check(maskfleet_bin, page)
    assert result.returncode == 1
    assert "e_mail" in result.stdout and "not the schema of the migrations" in result.stderr


def test_an_index_without_its_reason_fails_the_check(maskfleet_bin, tmp_path):
    page = tmp_path / "database.md"
    text = (REPO / "docs" / "database.md").read_text()
    diagram_end = text.index("<!-- schema-diagram:end -->")
    head, described = text[:diagram_end], text[diagram_end:]
    page.write_text(head + described.replace("`images_owner_created`", "the owner's index"))
    result = check(maskfleet_bin, page)
    assert result.returncode == 1
    assert "does not say why index images_owner_created exists" in result.stderr
