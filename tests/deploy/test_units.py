"""The systemd units of deploy/aws: systemd-analyze verify accepts them (pointed at a
stand-in program, since /opt/maskfleet exists only on an instance), and each has the
restart policy, the dedicated user and the hardening the deployment promises."""
import configparser
import subprocess

import pytest

from conftest import REPO

UNITS = REPO / "deploy" / "aws" / "systemd"
SERVICES = ["maskfleet-worker.service", "maskfleet-manager.service"]
PROGRAM = "/opt/maskfleet/bin/maskfleet"


def copy_units(folder):
    """The units in `folder`, their ExecStart pointed at an executable stand-in there."""
    stand_in = folder / "maskfleet"
    stand_in.write_text("#!/bin/sh\nexit 0\n")
    stand_in.chmod(0o755)
    for unit in UNITS.iterdir():
        (folder / unit.name).write_text(unit.read_text().replace(PROGRAM, str(stand_in)))
    return sorted(p.name for p in UNITS.iterdir())


def verify(folder, names):
    return subprocess.run(["systemd-analyze", "verify", *names], cwd=folder, capture_output=True,
                          text=True, timeout=120)


def test_systemd_analyze_verify_accepts_every_unit(tmp_path):
    names = copy_units(tmp_path)
    assert names == ["maskfleet-manager.service", "maskfleet-worker.path", "maskfleet-worker.service"]
    result = verify(tmp_path, names)
    # verify exits 0 on mere warnings: any line naming our units is a failure too.
    complaints = [l for l in (result.stdout + result.stderr).splitlines() if "maskfleet" in l]
    assert result.returncode == 0 and not complaints, result.stdout + result.stderr


def test_verify_catches_a_misspelt_option_and_a_missing_program(tmp_path):
    names = copy_units(tmp_path)
    unit = tmp_path / "maskfleet-worker.service"
    unit.write_text(unit.read_text().replace("ProtectSystem=strict", "ProtectSytem=strict"))
    result = verify(tmp_path, ["maskfleet-worker.service"])
    assert "Unknown key 'ProtectSytem'" in result.stdout + result.stderr
    (tmp_path / "maskfleet").unlink()
    result = verify(tmp_path, names)
    assert result.returncode != 0 and "is not executable" in result.stdout + result.stderr


def read_unit(name):
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read_string((UNITS / name).read_text())
    return parser


@pytest.mark.parametrize("name", SERVICES)
def test_service_restarts_on_failure_as_its_own_user_and_is_hardened(name):
    service = read_unit(name)["Service"]
    assert service["Restart"] == "on-failure"
    assert service["User"] == service["Group"] == "maskfleet"
    assert service["ExecStart"].startswith(PROGRAM + " ")
    assert "--config /etc/maskfleet/" in service["ExecStart"]
    wanted = {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "ReadWritePaths": "/var/lib/maskfleet",
              "StateDirectory": "maskfleet", "ProtectHome": "yes", "PrivateTmp": "yes",
              "PrivateDevices": "yes", "ProtectKernelTunables": "yes", "ProtectControlGroups": "yes",
              "RestrictSUIDSGID": "yes", "CapabilityBoundingSet": "", "SystemCallFilter": "@system-service"}
    assert {key: service.get(key) for key in wanted} == wanted


def test_worker_starts_once_its_configuration_exists():
    path = read_unit("maskfleet-worker.path")
    assert path["Path"]["PathExists"] == "/etc/maskfleet/worker.toml"
    assert path["Path"]["Unit"] == "maskfleet-worker.service"
    assert path["Install"]["WantedBy"] == "multi-user.target"
    worker = read_unit("maskfleet-worker.service")
    assert worker["Unit"]["ConditionPathExists"] == "/etc/maskfleet/worker.toml"
    assert "--config /etc/maskfleet/worker.toml" in worker["Service"]["ExecStart"]
    manager = read_unit("maskfleet-manager.service")
    assert "--config /etc/maskfleet/manager.toml" in manager["Service"]["ExecStart"]
    assert "--data-dir /var/lib/maskfleet" in manager["Service"]["ExecStart"]

