"""The image's layout works with the real program: build-worker-image.sh installs the
built maskfleet under a folder (--root), and the installed program finds the model and
the web pages by itself, as it will on an instance (no --model-dir, no web_dir)."""
import json
import os
import re
import signal
import subprocess
import urllib.request

import pytest

from conftest import REPO


@pytest.fixture(scope="module")
def installed(maskfleet_bin, model_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("image")
    result = subprocess.run([str(REPO / "deploy" / "aws" / "build-worker-image.sh"), "--root", str(root),
                             "--from-build", str(maskfleet_bin.parent), "--model-dir", str(model_dir)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return root / "opt" / "maskfleet" / "bin" / "maskfleet"


def clean_env():
    return {k: v for k, v in os.environ.items() if not k.startswith("MASKFLEET_")}


def test_installed_program_finds_the_model(installed, shared_dir):
    photo = sorted((shared_dir / "testdata" / "face-mask" / "images").iterdir())[0]
    result = subprocess.run([str(installed), "detect", "--json", str(photo)], capture_output=True,
                            text=True, timeout=300, env=clean_env(), cwd="/")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.splitlines()[0])
    assert answer["num_faces"] >= 1, answer


def test_installed_worker_serves_its_pages(installed, tmp_path):
    env = {**clean_env(), "MASKFLEET_AUTH_PASSWORD_HASHING": "minimum"}
    process = subprocess.Popen([str(installed), "worker", "--port", "0", "--data-dir", str(tmp_path / "data")],
                               stdout=subprocess.PIPE, stderr=open(tmp_path / "worker.log", "wb"),
                               text=True, env=env, cwd="/")
    try:
        line = process.stdout.readline()
        match = re.match(r"listening on ([\d.]+):(\d+)", line)
        assert match, (line, (tmp_path / "worker.log").read_text())
        base = f"http://{match.group(1)}:{match.group(2)}"
        with urllib.request.urlopen(f"{base}/healthz", timeout=10) as r:
            assert r.status == 200
        with urllib.request.urlopen(f"{base}/login", timeout=10) as r:
            page = r.read().decode()
            assert r.status == 200 and "<html" in page.lower()
        # The page's script comes from bin/web beside the installed program.
        script = re.search(r'src="(/static/[^"?]+\.js)[^"]*"', page)
        assert script, page[:500]
        with urllib.request.urlopen(base + script.group(1), timeout=10) as r:
            assert r.status == 200 and len(r.read()) > 1000
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
