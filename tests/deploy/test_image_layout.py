"""The image's layout works with the real program: build-worker-image.sh installs the
built maskfleet under a folder (--root), and the installed program finds the model and
the web pages by itself, as it will on an instance (no --model-dir, no web_dir), and
its worker accepts the configuration the stack writes."""
import json
import os
import re
import signal
import tomllib
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


def toml_text(config):
    """TOML of sections of strings, numbers, booleans and string lists (json quoting fits)."""
    out = []
    for section, values in config.items():
        out.append(f"[{section}]")
        for key, value in values.items():
            out.append(f"{key} = {json.dumps(value)}")
        out.append("")
    return "\n".join(out)


# Sections of the stack's configuration left out of this check: none, the program reads
# them all (the [aws] keys in every mode).
AWS_MODE_SECTIONS = ()


def test_installed_worker_accepts_the_stacks_configuration(installed, tmp_path):
    # The worker refuses an unknown or mistyped setting of any section; this is the file
    # the launch template writes, [aws] included. It runs in the local mode here (the
    # environment overrides the file's mode): the AWS mode itself is tested against moto
    # (tests/awsmode).
    from test_template import config_toml, decode, sample, user_data, TEMPLATE
    resources = decode(TEMPLATE.read_text())["Resources"]
    _, body = config_toml(user_data(resources["WorkerLaunchTemplate"]))
    config = {k: v for k, v in tomllib.loads(sample(body)).items() if k not in AWS_MODE_SECTIONS}
    assert set(config) == {"deployment", "worker", "manager", "database", "aws"}
    assert config["deployment"]["mode"] == "aws"
    path = tmp_path / "worker.toml"
    path.write_text(toml_text(config))
    # Loopback, a free port and SQLite here; every other setting as the stack writes it.
    env = {**clean_env(), "MASKFLEET_DEPLOYMENT_MODE": "local",
           "MASKFLEET_WORKER_HOST": "127.0.0.1", "MASKFLEET_WORKER_PORT": "0",
           "MASKFLEET_WORKER_DATA_DIR": str(tmp_path / "data"),
           "MASKFLEET_DATABASE_URL": f"sqlite:{tmp_path}/maskfleet.db",
           "MASKFLEET_AUTH_PASSWORD_HASHING": "minimum"}
    process = subprocess.Popen([str(installed), "worker", "--config", str(path)], stdout=subprocess.PIPE,
                               stderr=open(tmp_path / "worker.log", "wb"), text=True, env=env, cwd="/")
    try:
        line = process.stdout.readline()
        assert line.startswith("listening on 127.0.0.1:"), (line, (tmp_path / "worker.log").read_text())
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
