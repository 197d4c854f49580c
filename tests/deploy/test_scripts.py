"""The deployment kit's scripts, as far as a machine without AWS can run them:
shellcheck on each; build-worker-image.sh installing into a folder (--root) from a
stand-in build and the real model, refusing a model that fails its sha256 check, and
printing without changing anything (--dry-run); start.sh with a stand-in systemctl and
a stand-in manager answering /healthz."""
import hashlib
import http.server
import os
import shutil
import subprocess
import threading

import pytest

from conftest import REPO

KIT = REPO / "deploy" / "aws"
BUILD_IMAGE = KIT / "build-worker-image.sh"
START = KIT / "start.sh"
MODEL_SHA256 = {
    "face_mask_detection.prototxt": "8de363802d3557f3d9ff7e72dd61eead60f5e9e145bb962d7979b99ff85d4212",
    "face_mask_detection.caffemodel": "3c2e89cffdc9459a69dd5c2e4c1ca263e6488a56a5a37d81ca2ff32344fbf740",
}


@pytest.mark.parametrize("script", [BUILD_IMAGE, START, REPO / "scripts" / "fetch-model.sh"],
                         ids=lambda p: p.name)
def test_shellcheck_passes(script):
    assert shutil.which("shellcheck"), "shellcheck missing: scripts/setup.sh --for-tests installs it"
    result = subprocess.run(["shellcheck", str(script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def run(command, **kwargs):
    return subprocess.run([str(c) for c in command], capture_output=True, text=True, timeout=120, **kwargs)


@pytest.mark.parametrize("script", [BUILD_IMAGE, START], ids=lambda p: p.name)
def test_help_and_unknown_arguments(script):
    result = run([script, "--help"])
    assert result.returncode == 0 and result.stdout.startswith("Usage:")
    result = run([script, "--bogus"])
    assert result.returncode == 2 and "unknown argument '--bogus'" in result.stderr


@pytest.fixture
def stand_in_build(tmp_path):
    build = tmp_path / "build"
    (build / "web").mkdir(parents=True)
    (build / "maskfleet").write_text("#!/bin/sh\necho stand-in maskfleet\n")
    (build / "maskfleet").chmod(0o755)
    (build / "web" / "index.html").write_text("<!doctype html><title>maskfleet</title>\n")
    return build


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_build_image_installs_the_layout_under_root(tmp_path, stand_in_build, model_dir):
    root = tmp_path / "root"
    result = run([BUILD_IMAGE, "--root", root, "--from-build", stand_in_build, "--model-dir", model_dir])
    assert result.returncode == 0, result.stdout + result.stderr
    opt = root / "opt" / "maskfleet"
    program = opt / "bin" / "maskfleet"
    assert program.read_bytes() == (stand_in_build / "maskfleet").read_bytes()
    assert os.access(program, os.X_OK)
    assert (opt / "bin" / "web" / "index.html").read_text() == (stand_in_build / "web" / "index.html").read_text()
    model = opt / "models" / "aizoo-face-mask"
    assert {p.name: sha256(p) for p in model.iterdir()} == MODEL_SHA256
    assert all(not p.is_symlink() for p in model.iterdir())  # copies, not links into the source
    assert (opt / "doc" / "aws.md").read_text() == (REPO / "docs" / "aws.md").read_text()
    units = root / "etc" / "systemd" / "system"
    for unit in ("maskfleet-worker.service", "maskfleet-worker.path", "maskfleet-manager.service"):
        assert (units / unit).read_text() == (KIT / "systemd" / unit).read_text()
    wants = units / "multi-user.target.wants" / "maskfleet-worker.path"
    assert wants.is_symlink() and os.readlink(wants) == "/etc/systemd/system/maskfleet-worker.path"
    # Only the path unit is enabled: the manager starts from start.sh.
    assert sorted(p.name for p in (units / "multi-user.target.wants").iterdir()) == ["maskfleet-worker.path"]
    start = root / "home" / "admin" / "Desktop" / "start.sh"
    assert start.read_text() == START.read_text() and os.access(start, os.X_OK)
    assert (root / "etc" / "maskfleet").is_dir() and not list((root / "etc" / "maskfleet").iterdir())


def test_build_image_refuses_a_model_one_byte_off(tmp_path, stand_in_build, model_dir):
    tampered = tmp_path / "model"
    tampered.mkdir()
    for name in MODEL_SHA256:
        shutil.copy(model_dir / name, tampered / name)
    data = bytearray((tampered / "face_mask_detection.caffemodel").read_bytes())
    data[len(data) // 2] ^= 0x01
    (tampered / "face_mask_detection.caffemodel").write_bytes(bytes(data))
    root = tmp_path / "root"
    result = run([BUILD_IMAGE, "--root", root, "--from-build", stand_in_build, "--model-dir", tampered])
    assert result.returncode == 1
    assert "fail their sha256 check" in result.stderr and "nothing installed" in result.stderr
    assert not root.exists()


def test_build_image_dry_run_changes_nothing(tmp_path, stand_in_build, model_dir):
    root = tmp_path / "root"
    result = run([BUILD_IMAGE, "--dry-run", "--root", root, "--from-build", stand_in_build,
                  "--model-dir", model_dir])
    assert result.returncode == 0, result.stderr
    assert not root.exists()
    lines = result.stdout.splitlines()
    assert f"+ install -m 0755 {stand_in_build}/maskfleet {root}/opt/maskfleet/bin/maskfleet" in lines
    assert f"+ systemctl --root={root} enable maskfleet-worker.path" in lines
    # Under --root nothing touches the machine: no packages, no user.
    assert not [l for l in lines if "apt-get" in l or "useradd" in l]


def test_build_image_dry_run_on_the_machine_lists_every_step(stand_in_build, model_dir):
    result = run([BUILD_IMAGE, "--dry-run", "--model-dir", model_dir])
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for step in ("apt-get install", "scripts/setup.sh", "install -m 0755 ", "/opt/maskfleet/bin/maskfleet",
                 "/etc/systemd/system/maskfleet-worker.service", "systemctl enable maskfleet-worker.path",
                 "/home/admin/Desktop/start.sh"):
        assert step in out, step
    # Every Debian package the build needs, from the one list.
    packages = [p for line in (REPO / "scripts" / "debian-packages.txt").read_text().splitlines()
                if (p := line.split("#")[0].strip())]
    install = next(l for l in out.splitlines() if "apt-get install" in l).split()
    assert set(packages) <= set(install)


# --- start.sh -----------------------------------------------------------------------------

class Healthz(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/healthz" else 404)
        self.end_headers()
        self.wfile.write(b'{"status": "ok"}')

    def log_message(self, *args):
        pass


@pytest.fixture
def stand_in_manager():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Healthz)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture
def machine(tmp_path):
    """A config folder, a data folder and a stand-in systemctl that records its calls."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "systemctl.calls"
    (bin_dir / "systemctl").write_text(f'#!/bin/sh\necho "$*" >> {calls}\n')
    (bin_dir / "systemctl").chmod(0o755)
    (tmp_path / "etc").mkdir()
    (tmp_path / "data").mkdir()
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "AWS_EC2_METADATA_DISABLED": "true",
           "MASKFLEET_CONFIG_DIR": str(tmp_path / "etc"), "MASKFLEET_DATA_DIR": str(tmp_path / "data")}
    return tmp_path, env, calls


def write_config(folder, manager_port):
    # The worker's port comes first: start.sh must take the [manager] one.
    text = '[deployment]\nmode = "aws"\n\n[worker]\nport = 8081\n\n[manager]\nhost = "0.0.0.0"\n'
    if manager_port is not None:
        text += f"port = {manager_port}  # the UI\n"
    text += '\n[aws]\nregion = "eu-west-1"\n'
    path = folder / "manager.toml"
    path.write_text(text)
    return path


def test_start_enables_and_restarts_the_service_then_waits_for_it(machine, stand_in_manager):
    folder, env, calls = machine
    write_config(folder / "etc", stand_in_manager)
    (folder / "data" / "initial-admin-password").write_text("x\n")
    result = run([START, "--timeout", "20"], env=env)
    assert result.returncode == 0, result.stderr
    assert calls.read_text().splitlines() == ["enable maskfleet-manager.service",
                                              "restart maskfleet-manager.service"]
    assert f"manager http://127.0.0.1:{stand_in_manager}/" in result.stdout
    assert f"sudo cat {folder}/data/initial-admin-password" in result.stdout


def test_start_installs_a_given_configuration(machine, stand_in_manager, tmp_path):
    folder, env, _ = machine
    given = write_config(tmp_path, stand_in_manager)
    result = run([START, "--config", given, "--timeout", "20"], env=env)
    assert result.returncode == 0, result.stderr
    assert (folder / "etc" / "manager.toml").read_text() == given.read_text()
    assert "first login" not in result.stdout  # no generated password: none mentioned


def test_start_gives_up_when_the_manager_does_not_answer(machine):
    folder, env, calls = machine
    with socket_port() as port:  # a port nobody serves
        write_config(folder / "etc", port)
    result = run([START, "--timeout", "1"], env=env)
    assert result.returncode == 1
    assert "does not answer after 1 s" in result.stderr and "journalctl -u maskfleet-manager" in result.stderr
    assert len(calls.read_text().splitlines()) == 2


def test_start_without_configuration_says_so(machine):
    folder, env, calls = machine
    result = run([START], env=env)
    assert result.returncode == 1
    assert f"no configuration at {folder}/etc/manager.toml" in result.stderr
    assert not calls.exists()  # nothing started


@pytest.mark.parametrize("port,expected", [(5123, 5123), (None, 5000)])
def test_start_dry_run_names_the_managers_port(machine, port, expected):
    folder, env, calls = machine
    write_config(folder / "etc", port)
    result = run([START, "--dry-run"], env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "+ systemctl enable maskfleet-manager.service",
        "+ systemctl restart maskfleet-manager.service",
        f"+ wait until http://127.0.0.1:{expected}/healthz answers"]
    assert not calls.exists()


def test_start_refuses_a_timeout_that_is_not_seconds(machine):
    _, env, _ = machine
    result = run([START, "--timeout", "1.5"], env=env)
    assert result.returncode == 2 and "whole seconds" in result.stderr


class socket_port:
    """A free loopback port, released on exit (then nobody listens on it)."""

    def __enter__(self):
        import socket
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        return self.sock.getsockname()[1]

    def __exit__(self, *exc):
        self.sock.close()
