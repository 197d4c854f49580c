#!/usr/bin/env python3
"""A moto server for the AWS adapters' tests, with request authentication on.

Starts `moto_server` on a free loopback port; while authentication is still off,
creates an `admin` user (every action: tests set their fixtures up with it), and a
`manager` and a `worker` user holding moto-flavoured copies of the IAM policies
generated from deploy/aws/iam-actions.toml; then turns authentication on and prints
one line of JSON:

  {"endpoint": "http://127.0.0.1:PORT", "region": "us-east-1", "bucket": "...",
   "admin": {"access_key_id": ..., "secret_access_key": ...}, "manager": {...},
   "worker": {...}}

It then waits until its standard input closes (its parent went away) or it gets
SIGTERM, and stops moto. Usage: moto_bed.py [--bucket NAME]

moto's IAM differs from AWS's (checked with moto 5.2.5): CloudWatch actions are named
"monitoring:*"; only S3 evaluates resource ARNs (other services need "*"), and it
checks DeleteObjects against the bucket's ARN; conditions are ignored. The moto copies
are written accordingly, still limited to the one bucket.
"""
import argparse
import ctypes
import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[2]
ACTIONS_FILE = ROOT / "deploy" / "aws" / "iam-actions.toml"
REGION = "us-east-1"
S3_BUCKET_ACTIONS = {"s3:ListBucket", "s3:GetBucketPublicAccessBlock"}

PR_SET_PDEATHSIG = 1


def die_with_parent():
    """In the child: receive SIGTERM when the process that started it ends."""
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def moto_policy(role, bucket):
    """The role's policy as moto evaluates it."""
    actions = tomllib.loads(ACTIONS_FILE.read_text())[role]["actions"]
    statements = []
    other = []
    for action in actions:
        service, name = action.split(":", 1)
        if service == "s3":
            resource = [f"arn:aws:s3:::{bucket}"]
            if action not in S3_BUCKET_ACTIONS:
                # moto checks DeleteObjects' s3:DeleteObject against the bucket's ARN, AWS
                # against each object's: the moto copy grants object actions on both.
                resource.append(f"arn:aws:s3:::{bucket}/*")
            statements.append({"Effect": "Allow", "Action": action, "Resource": resource})
        else:
            other.append(("monitoring" if service == "cloudwatch" else service) + ":" + name)
    statements.append({"Effect": "Allow", "Action": other, "Resource": "*"})
    return {"Version": "2012-10-17", "Statement": statements}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(endpoint, process, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto_server exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(endpoint + "/moto-api/", timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("moto_server did not answer within %d s" % timeout)


def start_moto():
    moto_server = pathlib.Path(sys.executable).parent / "moto_server"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["MOTO_ALLOW_NONEXISTENT_REGION"] = "false"
    for _ in range(5):
        port = free_port()
        process = subprocess.Popen([str(moto_server), "-H", "127.0.0.1", "-p", str(port)],
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, env=env, preexec_fn=die_with_parent)
        endpoint = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(endpoint, process)
            return process, endpoint
        except RuntimeError:
            process.kill()
            process.wait()
    raise RuntimeError("moto_server would not start")


def make_users(endpoint, bucket):
    import boto3  # installed with moto

    iam = boto3.client("iam", endpoint_url=endpoint, region_name=REGION,
                       aws_access_key_id="bootstrap", aws_secret_access_key="bootstrap")
    users = {}
    policies = {
        "admin": {"Version": "2012-10-17",
                  "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]},
        "manager": moto_policy("manager", bucket),
        "worker": moto_policy("worker", bucket),
    }
    for name, document in policies.items():
        iam.create_user(UserName=name)
        iam.put_user_policy(UserName=name, PolicyName=f"maskfleet-{name}",
                            PolicyDocument=json.dumps(document))
        key = iam.create_access_key(UserName=name)["AccessKey"]
        users[name] = {"access_key_id": key["AccessKeyId"],
                       "secret_access_key": key["SecretAccessKey"]}
    return users


def set_authentication(endpoint, on):
    request = urllib.request.Request(endpoint + "/moto-api/reset-auth", method="POST",
                                     data=b"0" if on else b"inf",
                                     headers={"Content-Type": "text/plain"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        answer.read()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bucket", default="maskfleet-test")
    args = parser.parse_args()

    process, endpoint = start_moto()

    def stop(*_):
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    try:
        users = make_users(endpoint, args.bucket)
        set_authentication(endpoint, on=True)
    except Exception:
        stop()
        raise
    print(json.dumps({"endpoint": endpoint, "region": REGION, "bucket": args.bucket, **users}),
          flush=True)
    # Until the parent closes our standard input (or goes away).
    while sys.stdin.read(4096):
        pass
    stop()


if __name__ == "__main__":
    main()
