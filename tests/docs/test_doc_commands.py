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
    "scripts/sanitize.sh": "scripts/test.sh runs it after CTest (a build of its own, build-asan)",
    "scripts/fuzz.sh --smoke": "scripts/test.sh runs it after the sanitizer build (a clang build of its own)",
    "scripts/fuzz.sh probe 3600": "an hour of fuzzing; 'scripts/fuzz.sh --smoke' runs the same target briefly",
    "scripts/faults.sh":
        "the long form of the fault suite takes about an hour; CTest runs its short form (pytest_faults)",
    "ctest --test-dir build -R pytest_awsmode --output-on-failure":
        "it is tests/awsmode, the AWS mode end to end (3 minutes), which CTest runs itself (label aws)",
    "build/venv/bin/python tests/awsmode/print_run.py":
        "it prints the report of a run of tests/awsmode, which checks that report with the same code",
    "cd web && npm run screenshots:guide":
        "it is a 36-minute run of a real manager under a changing load (docs/user-guide.md); "
        "the browser suites (web_browser, web_manager_browser) drive the same pages",
    "bench/compare-opencv.sh":
        "it builds the whole project a second time against Debian's OpenCV and loads two "
        "workers for minutes; detector_bench_smoke runs its benchmarks and "
        "detect_opencv_same_outputs its second build",
    "scripts/mutate.sh detect-anchors":
        "it rebuilds and reruns a component's tests once per mutant (minutes) and edits "
        "the sources meanwhile; 'scripts/mutate.sh --check' here checks that every list "
        "applies",
}

# docs/operations.md's installation of the local manager as a system service: it
# needs root, creates a system user and changes the machine's services.
# tests/deploy/test_local_unit.py runs systemd-analyze verify on the unit instead,
# against a stand-in for the installed program.
NOT_RUN_HERE.update({command: "installs a system service as root; tests/deploy verifies the unit"
                     for command in [
                         "systemd-analyze verify deploy/local/maskfleet-manager.service",
                         "useradd --system --home-dir /var/lib/maskfleet --shell /usr/sbin/nologin maskfleet",
                         "install -m 644 deploy/local/maskfleet-manager.service /etc/systemd/system/",
                         "systemctl daemon-reload",
                         "systemctl enable --now maskfleet-manager",
                     ]})

# docs/aws.md's commands that act on a real AWS account or SSH to its instances: this
# machine has neither. tests/deploy checks what they deploy (cfn-lint and the
# deployment checklist on the template, systemd-analyze on the units, the scripts'
# dry runs), and docs/aws.md's own checks above them run here.
NEEDS_AN_AWS_ACCOUNT = [
    'aws ec2 create-security-group --group-name maskfleet-builder --description "maskfleet image builder"',
    'aws ec2 authorize-security-group-ingress --group-name maskfleet-builder --protocol tcp --port 22 --cidr 203.0.113.7/32',
    'DEBIAN_AMI=$(aws ec2 describe-images --owners 136693071363 --filters "Name=name,Values=debian-12-amd64-*" --query "sort_by(Images, &CreationDate)[-1].ImageId" --output text)',
    'BUILDER=$(aws ec2 run-instances --image-id "$DEBIAN_AMI" --instance-type t3.medium --key-name my-key --security-groups maskfleet-builder --metadata-options HttpTokens=required --query "Instances[0].InstanceId" --output text)',
    'aws ec2 wait instance-status-ok --instance-ids "$BUILDER"',
    'BUILDER_IP=$(aws ec2 describe-instances --instance-ids "$BUILDER" --query "Reservations[0].Instances[0].PublicIpAddress" --output text)',
    'git archive --format=tar HEAD | ssh admin@"$BUILDER_IP" "mkdir -p maskfleet && tar -x -C maskfleet"',
    'ssh admin@"$BUILDER_IP" sudo maskfleet/deploy/aws/build-worker-image.sh',
    'IMAGE=$(aws ec2 create-image --instance-id "$BUILDER" --name "maskfleet-$(date +%Y%m%d-%H%M)" --query ImageId --output text)',
    'aws ec2 wait image-available --image-ids "$IMAGE"',
    'aws ec2 terminate-instances --instance-ids "$BUILDER"',
    'aws ec2 wait instance-terminated --instance-ids "$BUILDER"',
    'aws ec2 delete-security-group --group-name maskfleet-builder',
    'aws cloudformation deploy --stack-name maskfleet --template-file deploy/aws/maskfleet.yaml --capabilities CAPABILITY_IAM --parameter-overrides WorkerImageId="$IMAGE" OperatorCidr=203.0.113.7/32 KeyName=my-key',
    'aws cloudformation describe-stacks --stack-name maskfleet --query "Stacks[0].Outputs" --output table',
    'ssh admin@203.0.113.10 sudo cat /var/lib/maskfleet/initial-admin-password',
    'aws ec2 stop-instances --instance-ids i-0123456789abcdef0',
    'POOL=$(aws ec2 describe-instances --filters Name=tag:maskfleet:pool,Values=maskfleet Name=instance-state-name,Values=pending,running,stopping,stopped --query "Reservations[].Instances[].InstanceId" --output text)',
    '[ -z "$POOL" ] || aws ec2 terminate-instances --instance-ids $POOL',
    'aws cloudformation delete-stack --stack-name maskfleet',
    'aws cloudformation wait stack-delete-complete --stack-name maskfleet',
    'aws s3 rb s3://maskfleet-imagesbucket-abc123 --force',
    'DB_SNAPSHOT=$(aws rds describe-db-snapshots --snapshot-type manual --query "DBSnapshots[?contains(DBInstanceIdentifier, \'maskfleet\')].DBSnapshotIdentifier" --output text)',
    'aws rds delete-db-snapshot --db-snapshot-identifier "$DB_SNAPSHOT"',
    'SNAPSHOT=$(aws ec2 describe-images --image-ids "$IMAGE" --query "Images[0].BlockDeviceMappings[0].Ebs.SnapshotId" --output text)',
    'aws ec2 deregister-image --image-id "$IMAGE"',
    'aws ec2 delete-snapshot --snapshot-id "$SNAPSHOT"',
]
NOT_RUN_HERE.update({command: "needs a real AWS account; tests/deploy checks what it deploys"
                     for command in NEEDS_AN_AWS_ACCOUNT})

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


def test_every_command_not_run_here_is_still_in_the_docs():
    documented = {param.values[0] for param in COMMANDS}
    assert sorted(set(NOT_RUN_HERE) - documented) == []
