"""The systemd unit of the local mode (deploy/local): systemd-analyze verify accepts it
(pointed at a stand-in program), it restarts the manager after a crash, and it leaves
the workers running when the manager dies, for the restarted manager to adopt."""
import configparser
import subprocess

from conftest import REPO

UNIT = REPO / "deploy" / "local" / "maskfleet-manager.service"
PROGRAM = "/usr/local/bin/maskfleet"


def read_unit():
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read_string(UNIT.read_text())
    return parser


def test_systemd_analyze_verify_accepts_the_local_unit(tmp_path):
    stand_in = tmp_path / "maskfleet"
    stand_in.write_text("#!/bin/sh\nexit 0\n")
    stand_in.chmod(0o755)
    (tmp_path / UNIT.name).write_text(UNIT.read_text().replace(PROGRAM, str(stand_in)))
    result = subprocess.run(["systemd-analyze", "verify", UNIT.name], cwd=tmp_path, capture_output=True,
                            text=True, timeout=120)
    complaints = [l for l in (result.stdout + result.stderr).splitlines() if "maskfleet" in l]
    assert result.returncode == 0 and not complaints, result.stdout + result.stderr


def test_the_manager_is_restarted_after_a_crash_and_its_workers_survive_it():
    service = read_unit()["Service"]
    assert service["ExecStart"].startswith(PROGRAM + " manager ")
    assert service["Restart"] == "on-failure"
    # The stop button exits 0: the manager then stays stopped.
    assert "Restart=always" not in UNIT.read_text()
    # Only the manager is signalled and, when it dies, the rest of its control group
    # (the workers) is left running for the restarted manager to adopt.
    assert service["KillMode"] == "process"
    assert service["KillSignal"] == "SIGTERM"
    assert service["Delegate"] == "yes"
    assert service["User"] == service["Group"] == "maskfleet"
    assert read_unit()["Install"]["WantedBy"] == "multi-user.target"
