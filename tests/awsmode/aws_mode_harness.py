"""The AWS mode on one machine: moto in place of AWS, and the test harness in place of
what moto does not run.

- `MotoBed`: tests/aws/moto_bed.py (moto_server on loopback, request authentication on,
  an admin, a manager and a worker user with the moto copies of the IAM policies).
- `FaultProxy`: tests/aws/fault_proxy.py in front of moto, where the manager sends its
  calls (the fault of "throttling during a resize").
- `Forwarder`: a small HTTP forwarder on loopback, the load balancer stand-in's.
- `InstanceStandIns`: moto's instances run nothing. For every running instance of the
  pool it reads the user data (which must be cloud-init writing
  /etc/maskfleet/worker.toml), starts a real `maskfleet worker` on a loopback port with
  that file, and writes "INSTANCE_ID 127.0.0.1:PORT" to the file the manager reads
  through MASKFLEET_AWS_TEST_WORKER_ADDRESSES (its test hook: a starting instance is
  health-checked there instead of at moto's private address); for every instance that
  ends it stops the worker. Every `period` seconds it puts each worker's real CPU (from
  /proc, as a percentage of a nominal instance size) into moto's CloudWatch as EC2's
  CPUUtilization, at high resolution.
- `TargetGroupBalancer`: the load balancer's stand-in. It sends each request to a
  worker whose instance is registered in the target group (DescribeTargetHealth),
  round robin, as the ALB would, and, given the ALB's ARN, puts the ALB's request
  counts into moto's CloudWatch every `period` seconds (AWS/ApplicationELB, at high
  resolution): the workers' answers as HTTPCode_Target_<N>XX_Count, its own 502 and
  503 as HTTPCode_ELB_5XX_Count.
"""
import collections
import datetime
import http.client
import http.server
import json
import os
import pathlib
import signal
import subprocess
import sys
import threading
import time
import urllib.request

import boto3

REPO = pathlib.Path(__file__).resolve().parents[2]
REGION = "us-east-1"

sys.path.insert(0, str(REPO / "tests" / "manager"))
from manager_harness import free_port, wait_for  # noqa: E402  (after the path above)


class MotoBed:
    def __init__(self, bucket):
        self.process = subprocess.Popen([sys.executable, str(REPO / "tests" / "aws" / "moto_bed.py"),
                                         "--bucket", bucket],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("moto_bed.py did not start (is moto in build/venv?)")
        self.info = json.loads(line)
        self.endpoint = self.info["endpoint"]

    def keys(self, user):
        return self.info[user]

    def client(self, service, user="admin"):
        keys = self.info[user]
        return boto3.client(service, endpoint_url=self.endpoint, region_name=REGION,
                            aws_access_key_id=keys["access_key_id"],
                            aws_secret_access_key=keys["secret_access_key"])

    def close(self):
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _forward(self):
        forwarder = self.server.forwarder
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        target = forwarder.target(self)
        if target is None:
            forwarder.answered(None)
            payload = b"no target\n"
            self.send_response(503)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        host, port = target
        connection = http.client.HTTPConnection(host, port, timeout=120)
        try:
            connection.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            for name, value in self.headers.items():
                if name.lower() not in ("connection", "keep-alive", "proxy-connection", "transfer-encoding"):
                    connection.putheader(name, value)
            connection.putheader("Connection", "close")
            connection.endheaders(body)
            answer = connection.getresponse()
            payload = answer.read()
        except OSError as e:
            forwarder.errors += 1
            forwarder.answered(None)
            self.send_response(502)
            message = f"forwarder: {e}\n".encode()
            self.send_header("Content-Length", str(len(message)))
            self.end_headers()
            self.wfile.write(message)
            return
        finally:
            connection.close()
        forwarder.answered(answer.status)
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in ("connection", "keep-alive", "transfer-encoding", "content-length"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward


class Forwarder:
    """HTTP on 127.0.0.1:PORT, each request sent on to target(handler) -> (host, port),
    or answered 503 when that is None; answered(status) is called with each target's
    status, or None for the forwarder's own 502 or 503."""

    def __init__(self, target, answered=None):
        self.target, self.errors = target, 0
        self.answered = answered or (lambda status: None)
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.forwarder = self
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class FaultProxy:
    """tests/aws/fault_proxy.py in front of moto: faults set at run time through its
    control URL, and its log of what it answered."""

    def __init__(self, target):
        self.process = subprocess.Popen([sys.executable, str(REPO / "tests" / "aws" / "fault_proxy.py"),
                                         "--target", target, "--max-seconds", "900"],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        info = json.loads(self.process.stdout.readline())
        self.endpoint, self.control = info["endpoint"], info["control"]

    def add(self, spec):
        request = urllib.request.Request(self.control + "/faults", data=spec.encode(), method="POST",
                                         headers={"Content-Type": "text/plain"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            answer.read()

    def clear(self):
        request = urllib.request.Request(self.control + "/faults", method="DELETE")
        with urllib.request.urlopen(request, timeout=10) as answer:
            answer.read()

    def faults_answered(self):
        """{operation: count} of the requests it answered with a fault."""
        with urllib.request.urlopen(self.control + "/log", timeout=10) as answer:
            log = json.loads(answer.read())
        return dict(collections.Counter(entry["operation"] for entry in log if entry["fault"]))

    def close(self):
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def proc_cpu_seconds(pid):
    """utime + stime of `pid`, in seconds (None when it is gone)."""
    try:
        stat = pathlib.Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def worker_config_from_user_data(user_data):
    """The worker.toml that cloud-init would write from this user data (docs/aws.md)."""
    lines = user_data.splitlines()
    assert lines[0] == "#cloud-config", lines[:3]
    assert "  - path: /etc/maskfleet/worker.toml" in lines, user_data[:300]
    start = lines.index("    content: |") + 1
    return "\n".join(line[6:] for line in lines[start:]) + "\n"


class StandIn:
    def __init__(self, instance_id):
        self.instance_id = instance_id
        self.process = None
        self.port = None
        self.cpu_last = None
        self.started_at = time.monotonic()


class InstanceStandIns:
    def __init__(self, bed, pool_name, binary, workdir, env, address_file, period, allotment_cpus,
                 boot_delay=0.0):
        self.bed, self.pool_name, self.binary, self.workdir = bed, pool_name, binary, pathlib.Path(workdir)
        self.env, self.address_file, self.period = env, pathlib.Path(address_file), period
        self.allotment, self.boot_delay = allotment_cpus, boot_delay
        self.ec2 = bed.client("ec2")
        self.cloudwatch = bed.client("cloudwatch")
        self.lock = threading.Lock()
        self.stand_ins = {}       # instance id -> StandIn (running ones)
        self.launched = []        # every pool instance seen, in order
        self.ended = set()
        self.user_data_checked = 0
        self.problems = []
        self.stop = threading.Event()
        self.address_file.write_text("")
        self.threads = [threading.Thread(target=self._watch, daemon=True),
                        threading.Thread(target=self._measure, daemon=True)]
        for t in self.threads:
            t.start()

    # --- instances

    def pool_instances(self):
        pages = self.ec2.describe_instances(Filters=[{"Name": "tag:maskfleet:pool", "Values": [self.pool_name]}])
        return [i for r in pages["Reservations"] for i in r["Instances"]]

    def _watch(self):
        while not self.stop.is_set():
            try:
                for instance in self.pool_instances():
                    iid, state = instance["InstanceId"], instance["State"]["Name"]
                    with self.lock:
                        known = iid in self.stand_ins or iid in self.ended
                        if iid not in self.launched:
                            self.launched.append(iid)
                    if state == "running" and not known:
                        stand_in = StandIn(iid)
                        with self.lock:
                            self.stand_ins[iid] = stand_in
                        threading.Thread(target=self._boot, args=(stand_in,), daemon=True).start()
                    elif state in ("shutting-down", "terminated", "stopping", "stopped") and iid in self.stand_ins:
                        with self.lock:
                            stand_in = self.stand_ins.pop(iid)
                            self.ended.add(iid)
                            self._write_addresses()
                        threading.Thread(target=self._halt, args=(stand_in,), daemon=True).start()
            except Exception as e:  # moto busy: try again
                self.problems.append(f"watch: {e}")
            self.stop.wait(0.3)

    def _boot(self, stand_in):
        try:
            attribute = self.ec2.describe_instance_attribute(InstanceId=stand_in.instance_id, Attribute="userData")
            import base64
            user_data = base64.b64decode(attribute["UserData"]["Value"]).decode()
            config = worker_config_from_user_data(user_data)
            with self.lock:
                self.user_data_checked += 1
        except Exception as e:
            self.problems.append(f"{stand_in.instance_id}: user data: {e}")
            return
        time.sleep(self.boot_delay)
        folder = self.workdir / stand_in.instance_id
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "worker.toml").write_text(config)
        env = {**self.env,
               "MASKFLEET_WORKER_HOST": "127.0.0.1", "MASKFLEET_WORKER_PORT": "0",
               "MASKFLEET_WORKER_DATA_DIR": str(folder / "data"),
               "MASKFLEET_WORKER_NAME": stand_in.instance_id,
               "MASKFLEET_AWS_INSTANCE_ID": stand_in.instance_id}
        process = subprocess.Popen([str(self.binary), "worker", "--config", str(folder / "worker.toml")],
                                   stdout=subprocess.PIPE, stderr=open(folder / "worker.log", "wb"),
                                   stdin=subprocess.DEVNULL, env=env, text=True)
        line = process.stdout.readline()
        if not line.startswith("listening on 127.0.0.1:"):
            self.problems.append(f"{stand_in.instance_id}: worker did not start: {line!r}: "
                                 + (folder / "worker.log").read_text(errors="replace")[-1500:])
            process.kill()
            process.wait()
            return
        with self.lock:
            stand_in.process = process
            stand_in.port = int(line.strip().rsplit(":", 1)[1])
            stand_in.cpu_last = proc_cpu_seconds(process.pid)
            if stand_in.instance_id in self.stand_ins:
                self._write_addresses()
                return
        self._halt(stand_in)  # ended while it booted

    def _halt(self, stand_in):
        process = stand_in.process
        if process is None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def _write_addresses(self):  # requires self.lock
        text = "".join(f"{iid} 127.0.0.1:{s.port}\n" for iid, s in self.stand_ins.items() if s.port)
        temporary = self.address_file.with_suffix(".tmp")
        temporary.write_text(text)
        temporary.replace(self.address_file)

    def port_of(self, instance_id):
        with self.lock:
            stand_in = self.stand_ins.get(instance_id)
            return stand_in.port if stand_in else None

    def running_workers(self):
        with self.lock:
            return {iid: s.port for iid, s in self.stand_ins.items() if s.port}

    # --- CPU into CloudWatch

    def _measure(self):
        while not self.stop.is_set():
            now = time.time()
            boundary = (int(now) // self.period + 1) * self.period
            if self.stop.wait(boundary - now + 0.05):
                return
            period_start = boundary - self.period
            data = []
            with self.lock:
                for iid, s in self.stand_ins.items():
                    if s.process is None:
                        continue
                    used = proc_cpu_seconds(s.process.pid)
                    if used is None or s.cpu_last is None:
                        continue
                    percent = min(100.0, (used - s.cpu_last) / (self.period * self.allotment) * 100)
                    s.cpu_last = used
                    data.append({"MetricName": "CPUUtilization",
                                 "Dimensions": [{"Name": "InstanceId", "Value": iid}],
                                 "Timestamp": datetime.datetime.fromtimestamp(period_start, datetime.timezone.utc),
                                 "Value": percent, "Unit": "Percent", "StorageResolution": 1})
            for first in range(0, len(data), 20):
                try:
                    self.cloudwatch.put_metric_data(Namespace="AWS/EC2", MetricData=data[first:first + 20])
                except Exception as e:
                    self.problems.append(f"put CPU: {e}")

    def close(self):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=10)
        with self.lock:
            stand_ins = list(self.stand_ins.values())
            self.stand_ins.clear()
        for s in stand_ins:
            self._halt(s)


class TargetGroupBalancer:
    """The ALB's stand-in: round robin over the instances registered in the target group;
    with `load_balancer_arn`, the ALB's request counts into CloudWatch every `period` s."""

    def __init__(self, bed, target_group_arn, stand_ins, load_balancer_arn=None, period=60):
        self.elb = bed.client("elbv2")
        self.cloudwatch = bed.client("cloudwatch")
        self.arn, self.stand_ins = target_group_arn, stand_ins
        self.registered = []
        self.lock = threading.Lock()
        self.next = 0
        self.served = collections.Counter()
        self.counts = collections.Counter()  # this period's, by CloudWatch metric name
        self.counted = collections.Counter()  # every period's, put or not
        self.problems = []
        self.period = period
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._follow, daemon=True)
        self.thread.start()
        self.threads = [self.thread]
        if load_balancer_arn:
            # The dimensions the ALB's metrics carry: the ARNs' ends.
            self.dimensions = {"LoadBalancer": load_balancer_arn.split(":loadbalancer/", 1)[1],
                               "TargetGroup": target_group_arn.rsplit(":", 1)[1]}
            self.threads.append(threading.Thread(target=self._publish, daemon=True))
            self.threads[-1].start()
        self.forwarder = Forwarder(self._target, self._answered)
        self.url = self.forwarder.url + "/"

    def _answered(self, status):
        metric = "HTTPCode_ELB_5XX_Count" if status is None else f"HTTPCode_Target_{status // 100}XX_Count"
        with self.lock:
            self.counts[metric] += 1
            self.counted[metric] += 1

    def _publish(self):
        while True:
            now = time.time()
            boundary = (int(now) // self.period + 1) * self.period
            if self.stop.wait(boundary - now + 0.05):
                return
            with self.lock:
                counts, self.counts = self.counts, collections.Counter()
            stamp = datetime.datetime.fromtimestamp(boundary - self.period, datetime.timezone.utc)
            data = [{"MetricName": metric, "Timestamp": stamp, "Value": count, "Unit": "Count",
                     "StorageResolution": 1,
                     "Dimensions": [{"Name": "LoadBalancer", "Value": self.dimensions["LoadBalancer"]}]
                     + ([{"Name": "TargetGroup", "Value": self.dimensions["TargetGroup"]}]
                        if metric.startswith("HTTPCode_Target_") else [])}
                    for metric, count in counts.items()]
            if data:
                try:
                    self.cloudwatch.put_metric_data(Namespace="AWS/ApplicationELB", MetricData=data)
                except Exception as e:
                    self.problems.append(f"put the ALB's counts: {e}")

    def _follow(self):
        while not self.stop.is_set():
            try:
                health = self.elb.describe_target_health(TargetGroupArn=self.arn)["TargetHealthDescriptions"]
                ids = [h["Target"]["Id"] for h in health if h["TargetHealth"]["State"] == "healthy"]
                with self.lock:
                    self.registered = ids
            except Exception:
                pass
            self.stop.wait(0.3)

    def _target(self, handler):
        with self.lock:
            candidates = [(iid, self.stand_ins.port_of(iid)) for iid in self.registered]
            candidates = [c for c in candidates if c[1]]
            if not candidates:
                return None
            iid, port = candidates[self.next % len(candidates)]
            self.next += 1
            self.served[iid] += 1
        return "127.0.0.1", port

    def close(self):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=5)
        self.forwarder.close()
