"""The whole AWS mode on one machine: `maskfleet manager` with `mode = "aws"` against
moto with request authentication on (signing as the manager user, whose moto policy is
made from deploy/aws/iam-actions.toml), real `maskfleet worker` processes standing in for
the instances it launches (aws_mode_harness.py), their real CPU in moto's CloudWatch,
and a stand-in for the ALB that follows the target group.

One run, in order: the pool is 1 at start; load grows it to at least 3; without load
it shrinks back to 1; no upload is lost; an instance that dies is replaced; a resize
under EC2 throttling ends with exactly the pool asked for; a manager killed in the
middle of a resize and started again ends with exactly the pool it intends (1, the
size every start resizes to), launching nothing twice; "Stop manager" terminates every
instance the run launched, and the instance without the pool's tag, launched by the
test, is untouched throughout.

The policy is short (seconds, not minutes) so that the run fits in about 3 minutes;
its figures are written to aws-mode-run.json beside the program (build/), or to
MASKFLEET_AWS_MODE_REPORT when set, and tests/awsmode/print_run.py prints them as
docs/results.md shows them.
"""
import datetime
import json
import os
import signal
import sqlite3
import subprocess
import threading
import time

import pytest
import requests

import print_run
from aws_mode_harness import FaultProxy, InstanceStandIns, MotoBed, TargetGroupBalancer, wait_for

POOL = "e2e"
BUCKET = "maskfleet-e2e"
ADMIN_PASSWORD = "aws-mode-admin-password"
PHOTO = "testdata/face-mask/images/maksssksksss180.png"
# The nominal instance size the stand-ins' CPU is a percentage of: small, so that a few
# uploads a second keep one worker above the grow threshold on a shared machine.
ALLOTMENT_CPUS = 0.1
SAMPLE_SECONDS = 3
POLICY = {"grow_threshold": 50, "shrink_threshold": 20, "expand_ratio": 2.0, "shrink_ratio": 0.5,
          "min_workers": 1, "max_workers": 4, "check_interval_seconds": 3, "window_seconds": 6,
          "shrink_stabilisation_seconds": 6, "paused": False}


class Run:
    """The figures of the run, in order."""

    def __init__(self):
        self.started = time.monotonic()
        self.events = []

    def note(self, what, **figures):
        entry = {"t": round(time.monotonic() - self.started, 1), "what": what, **figures}
        self.events.append(entry)
        print(json.dumps(entry), flush=True)


class ManagerProcess:
    def __init__(self, binary, config, data_dir, env, log):
        self.log = log
        self.process = subprocess.Popen([str(binary), "manager", "--config", str(config), "--data-dir",
                                         str(data_dir)], stdout=subprocess.PIPE, stderr=open(log, "ab"),
                                        stdin=subprocess.DEVNULL, env=env, text=True)
        line = self.process.stdout.readline()
        assert line.startswith("manager listening on "), (line, log.read_text(errors="replace")[-3000:])
        self.url = line.split()[3].rstrip("/")
        self.api = requests.Session()
        r = self.api.post(self.url + "/api/v1/session", json={"username": "admin", "password": ADMIN_PASSWORD},
                          timeout=30)
        assert r.status_code == 200, r.text
        self.api.headers["X-CSRF-Token"] = r.json()["csrf_token"]

    def get(self, path):
        r = self.api.get(self.url + path, timeout=30)
        assert r.status_code == 200, (path, r.status_code, r.text)
        return r.json()

    def send(self, method, path, body=None):
        r = self.api.request(method, self.url + path, json=body, timeout=30)
        assert r.status_code in (200, 202), (path, r.status_code, r.text)
        return r.json() if r.content else None

    def pool(self):
        return self.get("/api/v1/pool")

    def stderr(self):
        return self.log.read_text(errors="replace")[-4000:]


def in_service(pool):
    return [w for w in pool["workers"] if w["state"] == "in_service"]


def settled(pool, n):
    serving = in_service(pool)
    return (pool["desired_size"] == n and len(serving) == n
            and all(w["state"] in ("in_service", "stopped", "failed") for w in pool["workers"])
            and all(w["balancer"] is not None for w in serving))


def settled_pool(manager, n):
    """The pool when it is settled at n, else None."""
    pool = manager.pool()
    return pool if settled(pool, n) else None


def live_pool_instances(stand_ins):
    return sorted(i["InstanceId"] for i in stand_ins.pool_instances()
                  if i["State"]["Name"] in ("pending", "running"))


@pytest.fixture
def bed():
    bed = MotoBed(BUCKET)
    yield bed
    bed.close()


def test_aws_mode_end_to_end(bed, maskfleet_bin, model_dir, shared_dir, tmp_path):
    run = Run()
    ec2, elb = bed.client("ec2"), bed.client("elbv2")
    s3, secrets = bed.client("s3"), bed.client("secretsmanager")
    # What the CloudFormation stack would have made (docs/aws.md).
    s3.create_bucket(Bucket=BUCKET)
    s3.put_public_access_block(Bucket=BUCKET, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True})
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]][:2]
    group = ec2.describe_security_groups()["SecurityGroups"][0]["GroupId"]
    image = ec2.describe_images()["Images"][0]["ImageId"]
    target_group = elb.create_target_group(Name="maskfleet-workers", Protocol="HTTP", Port=8081, VpcId=vpc,
                                           TargetType="instance", HealthCheckPath="/readyz")
    target_group_arn = target_group["TargetGroups"][0]["TargetGroupArn"]
    # The ALB in front of it, which the manager finds through the target group (whose
    # request counts the stand-in below puts into CloudWatch, as the ALB would).
    load_balancer_arn = elb.create_load_balancer(Name="maskfleet-entry", Subnets=subnets, SecurityGroups=[group],
                                                 Type="application")["LoadBalancers"][0]["LoadBalancerArn"]
    elb.create_listener(LoadBalancerArn=load_balancer_arn, Protocol="HTTP", Port=80,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": target_group_arn}])
    # The database password in Secrets Manager, as the stack writes it. The database is a
    # SQLite file here: the secret is read (GetSecretValue, authentication on) and ignored
    # for SQLite; how the password enters a server URL is unit-tested (aws_mode_test.cc).
    secret_arn = secrets.create_secret(Name="maskfleet-db",
                                       SecretString=json.dumps({"username": "maskfleet",
                                                                "password": "not-used-by-sqlite"}))["ARN"]
    # An instance that is not the pool's: never touched.
    foreign = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro",
                                TagSpecifications=[{"ResourceType": "instance", "Tags": [
                                    {"Key": "maskfleet:pool", "Value": "another-pool"},
                                    {"Key": "Name", "Value": "not-maskfleet"}]}])["Instances"][0]["InstanceId"]

    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MASKFLEET_"))}
    base_env.update({"AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
                     "MASKFLEET_MODEL_DIR": str(model_dir), "MASKFLEET_AUTH_PASSWORD_HASHING": "minimum"})
    worker_keys = bed.keys("worker")
    worker_env = {**base_env, "AWS_ENDPOINT_URL": bed.endpoint,
                  "AWS_ACCESS_KEY_ID": worker_keys["access_key_id"],
                  "AWS_SECRET_ACCESS_KEY": worker_keys["secret_access_key"]}
    addresses = tmp_path / "instance-addresses.txt"
    stand_ins = InstanceStandIns(bed, POOL, maskfleet_bin, tmp_path / "instances", worker_env, addresses,
                                 period=SAMPLE_SECONDS, allotment_cpus=ALLOTMENT_CPUS)
    balancer = TargetGroupBalancer(bed, target_group_arn, stand_ins, load_balancer_arn, period=SAMPLE_SECONDS)
    moto_front = FaultProxy(bed.endpoint)

    config = tmp_path / "maskfleet.toml"
    config.write_text(f"""[deployment]
mode = "aws"

[worker]
port = 8081
# The load below makes its user through the testing endpoint, off by default here.
register_enabled = true
data_dir = "{tmp_path / 'worker-data'}"

[manager]
host = "127.0.0.1"
port = 0
lb_public_url = "{balancer.url}"
collect_seconds = {SAMPLE_SECONDS}
scaler_sample_seconds = {SAMPLE_SECONDS}

[database]
url = "sqlite:{tmp_path / 'maskfleet.db'}"

[aws]
region = "us-east-1"
image_id = "{image}"
instance_type = "t3.micro"
subnets = ["{subnets[0]}", "{subnets[1]}"]
security_group = "{group}"
target_group_arn = "{target_group_arn}"
bucket = "{BUCKET}"
prefix = "images/"
metric_namespace = "maskfleet"
pool_name = "{POOL}"
max_instances = 4
database_secret_arn = "{secret_arn}"
deregistration_delay_seconds = 2
metrics_delay_seconds = 1
""")
    manager_keys = bed.keys("manager")
    manager_env = {**base_env, "AWS_ENDPOINT_URL": moto_front.endpoint,
                   "AWS_ACCESS_KEY_ID": manager_keys["access_key_id"],
                   "AWS_SECRET_ACCESS_KEY": manager_keys["secret_access_key"],
                   "MASKFLEET_AWS_TEST_WORKER_ADDRESSES": str(addresses),
                   "MASKFLEET_ADMIN_USERNAME": "admin", "MASKFLEET_ADMIN_PASSWORD": ADMIN_PASSWORD}
    data_dir = tmp_path / "manager"
    log = tmp_path / "manager.log"
    manager = None
    try:
        manager = ManagerProcess(maskfleet_bin, config, data_dir, manager_env, log)
        manager.send("PUT", "/api/v1/policy", POLICY)

        # --- 1 at start
        pool = wait_for("one worker in service", lambda: settled_pool(manager, 1), 60)
        assert pool["load_balancer"]["entry_url"] == balancer.url
        worker = in_service(pool)[0]
        labels = [label for label, _ in worker["labelled_details"]]
        assert labels[:2] == ["type", "zone"] and "load balancer" in labels, worker["labelled_details"]
        assert dict(worker["labelled_details"])["type"] == "t3.micro"
        run.note("start", in_service=1, instances=live_pool_instances(stand_ins))

        # --- load: the pool grows to at least 3
        entry = balancer.url.rstrip("/")
        r = requests.post(entry + "/api/register", data={"username": "loaduser", "password": "load-password-1"},
                          timeout=30)
        assert r.status_code == 200, r.text
        photo = (shared_dir / PHOTO).read_bytes()
        counts = {"ok": 0, "lost": 0}
        failures = []
        stop_load = threading.Event()

        def upload_loop():
            while not stop_load.is_set():
                try:
                    answer = requests.post(entry + "/api/upload",
                                           data={"username": "loaduser", "password": "load-password-1"},
                                           files={"file": ("photo.png", photo, "image/png")}, timeout=60)
                    ok = answer.status_code == 200
                    if not ok:
                        failures.append(f"{answer.status_code} {answer.text[:200]}")
                except requests.RequestException as e:
                    ok = False
                    failures.append(str(e))
                counts["ok" if ok else "lost"] += 1
                time.sleep(0.05)

        loaders = [threading.Thread(target=upload_loop, daemon=True) for _ in range(2)]
        for t in loaders:
            t.start()
        peak = wait_for("the pool grown to 3 or more under load",
                        lambda: len(in_service(manager.pool())) >= 3 and len(in_service(manager.pool())), 100)
        run.note("grown under load", in_service=peak, uploads_ok=counts["ok"])
        stop_load.set()
        for t in loaders:
            t.join(timeout=60)
        run.note("load stopped", uploads_ok=counts["ok"], uploads_lost=counts["lost"])
        assert counts["lost"] == 0, failures[:5]
        assert counts["ok"] > 0

        # --- no load: back to 1
        wait_for("the pool back to 1 without load", lambda: settled(manager.pool(), 1), 100)
        assert len(live_pool_instances(stand_ins)) == 1
        decisions = manager.get("/api/v1/decisions?limit=500")["decisions"]
        actions = [d["action"] for d in decisions]
        assert "grow" in actions and "shrink" in actions, actions[:20]
        resizes = [f"{d['size_before']}->{d['size_after']} at {d['average_cpu']:.0f}% CPU"
                   for d in reversed(decisions) if d["action"] != "hold"]
        run.note("shrunk without load", in_service=1, instances_launched=len(stand_ins.launched),
                 auto_scaler=resizes)

        # --- a dead instance is replaced
        victim = in_service(manager.pool())[0]["id"]
        ec2.terminate_instances(InstanceIds=[victim])
        replaced = wait_for("the dead instance replaced",
                            lambda: (p := settled_pool(manager, 1)) and in_service(p)[0]["id"] != victim
                            and in_service(p)[0]["id"], 60)
        run.note("dead instance replaced", dead=victim, replacement=replaced)

        # --- throttling during a resize: delayed, nothing launched twice
        # EC2 throttles the launch (more often than the client's four attempts: the
        # controller tries again later with the same key) and the reads around it.
        for spec in ("ec2:RunInstances=throttle:5", "ec2:DescribeInstances=throttle:3",
                     "elasticloadbalancing:RegisterTargets=throttle:1"):
            moto_front.add(spec)
        manager.send("PUT", "/api/v1/pool/size", {"size": 2})
        wait_for("2 in service under throttling", lambda: settled(manager.pool(), 2), 60)
        moto_front.clear()
        throttled = moto_front.faults_answered()
        assert throttled.get("RunInstances") == 5 and throttled.get("DescribeInstances") == 3, throttled
        assert len(live_pool_instances(stand_ins)) == 2, live_pool_instances(stand_ins)
        run.note("resized under throttling", in_service=2, throttled=throttled)

        # --- the manager killed in the middle of a resize, then started again
        before = set(live_pool_instances(stand_ins))
        manager.send("PUT", "/api/v1/pool/size", {"size": 4})
        wait_for("a launch under way", lambda: len(live_pool_instances(stand_ins)) > len(before), 30, interval=0.1)
        manager.process.send_signal(signal.SIGKILL)
        manager.process.wait()
        # Every instance of the pool there is, as EC2 says (nothing launches while no manager runs).
        launched_before_restart = {i["InstanceId"] for i in stand_ins.pool_instances()}
        run.note("manager killed mid-resize", live_instances=len(live_pool_instances(stand_ins)))
        manager = ManagerProcess(maskfleet_bin, config, data_dir, manager_env, log)
        wait_for("exactly the intended pool (1) after the restart",
                 lambda: settled(manager.pool(), 1) and len(live_pool_instances(stand_ins)) == 1, 60)
        # Everything it found was adopted: nothing launched again after the restart.
        time.sleep(2)
        launched_after = {i["InstanceId"] for i in stand_ins.pool_instances()}
        assert launched_after == launched_before_restart, launched_after - launched_before_restart
        run.note("restarted", in_service=1, live_instances=1)

        # --- the charts: CloudWatch's CPU, and the request counts the workers published there
        # A worker publishes each minute 5 s after it ends (its first, partial one too), so
        # one that lived across such a moment has a count there; the one alive now will.
        def published_counts():
            now = datetime.datetime.now(datetime.timezone.utc)
            answer = bed.client("cloudwatch").get_metric_data(
                MetricDataQueries=[{"Id": f"r{n}", "MetricStat": {"Metric": {
                    "Namespace": "maskfleet", "MetricName": "RequestsPerMinute",
                    "Dimensions": [{"Name": "InstanceId", "Value": instance}]}, "Period": 60, "Stat": "Maximum"}}
                    for n, instance in enumerate(stand_ins.launched)],
                StartTime=now - datetime.timedelta(minutes=15), EndTime=now)["MetricDataResults"]
            return {stand_ins.launched[int(r["Id"][1:])]: r["Values"] for r in answer if r["Values"]}

        published = wait_for("a request count published", published_counts, 70, interval=2)
        # No worker counted more than the requests the balancer sent it.
        for instance, values in published.items():
            assert sum(values) <= balancer.served[instance], (instance, values, balancer.served[instance])
        # Any worker's: one may have left before CloudWatch finished a whole minute of it,
        # which the manager then has no figure for.
        charts = wait_for("CloudWatch's CPU in the charts", lambda: [
            w["id"] for w in manager.get("/api/v1/metrics?minutes=10")["workers"]
            if any(v is not None for v in w["cpu_percent"])], 70, interval=2)
        run.note("charts", cpu_in_charts=charts,
                 requests_published={i: sum(v) for i, v in published.items()},
                 requests_sent={i: balancer.served[i] for i in published})

        # --- the ALB's request counts: found through the target group, read from
        # CloudWatch with the workers' metrics, and kept per minute (what the
        # auto-scaler reads of a saturated pool); never more served than offered.
        log_text = log.read_text(errors="replace")
        assert f"reads the request counts of {load_balancer_arn}" in log_text, manager.stderr()
        assert "cannot read the balancer's request counts" not in log_text, manager.stderr()
        with sqlite3.connect(tmp_path / "maskfleet.db") as db:
            minutes = db.execute("SELECT offered, served FROM balancer_request_samples").fetchall()
        assert minutes and sum(o for o, _ in minutes) > 0, minutes
        assert all(s <= o for o, s in minutes), minutes
        assert sum(o for o, _ in minutes) <= sum(balancer.counted.values()), (minutes, balancer.counted)
        assert not balancer.problems, balancer.problems[:5]
        run.note("load balancer's counts", minutes=len(minutes), offered=sum(o for o, _ in minutes),
                 served=sum(s for _, s in minutes), counted=dict(balancer.counted))

        # --- "Stop manager": every instance of the run terminated, the foreign one kept
        manager.send("POST", "/api/v1/manager/stop")
        assert manager.process.wait(timeout=60) == 0, manager.stderr()
        states = {i["InstanceId"]: i["State"]["Name"] for r in ec2.describe_instances()["Reservations"]
                  for i in r["Instances"]}
        assert all(states[i] in ("shutting-down", "terminated") for i in stand_ins.launched), \
            {i: states[i] for i in stand_ins.launched}
        assert states[foreign] == "running", states[foreign]
        # Deregistered from the target group first (drained), not just terminated.
        assert elb.describe_target_health(TargetGroupArn=target_group_arn)["TargetHealthDescriptions"] == []
        assert stand_ins.user_data_checked == len(stand_ins.launched)
        assert not stand_ins.problems, stand_ins.problems[:5]
        run.note("stopped", instances_launched=len(stand_ins.launched),
                 instances_terminated=sum(states[i] in ("shutting-down", "terminated") for i in stand_ins.launched),
                 foreign_instance=states[foreign], uploads_ok=counts["ok"], uploads_lost=counts["lost"],
                 requests_by_instance=dict(balancer.served))
    except BaseException:
        if manager is not None:
            print(manager.stderr())
        raise
    finally:
        if manager is not None and manager.process.poll() is None:
            manager.process.send_signal(signal.SIGTERM)
            try:
                manager.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                manager.process.kill()
        stand_ins.close()
        balancer.close()
        moto_front.close()
        report = {"events": run.events, "seconds": round(time.monotonic() - run.started, 1)}
        path = os.environ.get("MASKFLEET_AWS_MODE_REPORT") or maskfleet_bin.parent / "aws-mode-run.json"
        with open(path, "w") as out:
            json.dump(report, out, indent=1)
    # The report has every figure docs/results.md shows.
    rows = dict(print_run.figures(report))
    assert rows["uploads lost"] == 0 and rows["instance without the pool's tag at the end"] == "running", rows
