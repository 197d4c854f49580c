"""tests/aws/fault_proxy.py on its own, in front of a stub target on loopback (no moto):
what it forwards, the error each fault answers in each service's shape, counts, the
dropped answer, the control URL, and its bounds. The proxy in front of moto, with
maskfleet's client, is tested in src/maskfleet/pool/ec2/ec2_faults_test.cc."""
import http.client
import http.server
import json
import pathlib
import subprocess
import sys
import threading
import urllib.error
import urllib.request

import pytest

PROXY = pathlib.Path(__file__).with_name("fault_proxy.py")


def scope(service):
    return ("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261204/us-east-1/" + service +
            "/aws4_request, SignedHeaders=host;x-amz-date, Signature=0")


class Target:
    """A stub AWS endpoint: records each request, answers 200 with a fixed body."""

    def __init__(self):
        self.requests = []
        target = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def handle_any(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                target.requests.append({"method": self.command, "path": self.path, "body": body,
                                        "host": self.headers.get("Host")})
                answer = b"<Answer>ok</Answer>"
                self.send_response(200)
                self.send_header("Content-Type", "text/xml")
                self.send_header("x-amzn-RequestId", "target-1")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            do_GET = do_POST = do_PUT = do_DELETE = handle_any

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Proxy:
    def __init__(self, target, *args):
        self.process = subprocess.Popen([sys.executable, str(PROXY), "--target", target, *args],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        announced = json.loads(self.process.stdout.readline())
        self.endpoint, self.control = announced["endpoint"], announced["control"]
        self.port = int(self.endpoint.rsplit(":", 1)[1])

    def request(self, method, path, body=b"", headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def query(self, service, action, extra=""):
        return self.request("POST", "/", f"Action={action}&Version=1{extra}".encode(), {
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
            "Authorization": scope(service)})

    def add(self, spec):
        urllib.request.urlopen(urllib.request.Request(self.control + "/faults", data=spec.encode(),
                                                      method="POST"), timeout=10).read()

    def log(self):
        return json.loads(urllib.request.urlopen(self.control + "/log", timeout=10).read())

    def close(self):
        self.process.stdin.close()
        return self.process.wait(timeout=10)


@pytest.fixture
def target():
    t = Target()
    yield t
    t.close()


@pytest.fixture
def proxy(target):
    p = Proxy(target.url)
    yield p
    p.close()


def test_forwards_requests_unchanged_and_answers_what_the_target_answers(target, proxy):
    status, headers, body = proxy.query("ec2", "DescribeInstances", "&Filter.1.Name=tag%3Ax")
    assert (status, body) == (200, b"<Answer>ok</Answer>")
    assert headers["x-amzn-RequestId"] == "target-1"
    [seen] = target.requests
    assert seen["body"] == b"Action=DescribeInstances&Version=1&Filter.1.Name=tag%3Ax"
    assert seen["host"] == f"127.0.0.1:{proxy.port}"  # as signed: the proxy's, not the target's
    assert proxy.log() == [{"service": "ec2", "operation": "DescribeInstances", "fault": None,
                            "status": 200, "request_id": "fault-proxy-1"}]


def test_each_fault_answers_in_the_services_shape_and_reaches_nothing(target, proxy):
    proxy.add("ec2:DescribeInstances=throttle:1")
    proxy.add("monitoring:GetMetricData=throttle:1")
    proxy.add("s3:GetObject=throttle:1")
    proxy.add("GetSecretValue=throttle:1")
    proxy.add("elasticloadbalancing:RegisterTargets=500:1")
    proxy.add("s3:PutObject=slowdown:1")

    status, _, body = proxy.query("ec2", "DescribeInstances")
    assert status == 400
    assert b"<Code>RequestLimitExceeded</Code>" in body and b"<RequestID>fault-proxy-1</RequestID>" in body
    status, _, body = proxy.query("monitoring", "GetMetricData")
    assert status == 400
    assert b"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>" in body
    assert b"<RequestId>fault-proxy-2</RequestId>" in body
    status, headers, body = proxy.request("GET", "/bucket/images/a.jpg", headers={"Authorization": scope("s3")})
    assert status == 503 and b"<Code>SlowDown</Code>" in body
    assert headers["x-amz-request-id"] == "fault-proxy-3"
    status, headers, body = proxy.request("POST", "/", b"{}", {
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "secretsmanager.GetSecretValue",
        "Authorization": scope("secretsmanager")})
    assert status == 400 and json.loads(body)["__type"] == "ThrottlingException"
    assert headers["x-amzn-RequestId"] == "fault-proxy-4"
    status, _, body = proxy.query("elasticloadbalancing", "RegisterTargets")
    assert status == 500 and b"<Type>Receiver</Type><Code>InternalError</Code>" in body
    status, _, body = proxy.request("PUT", "/bucket/images/a.jpg", b"x", {"Authorization": scope("s3")})
    assert status == 503 and b"<Code>SlowDown</Code>" in body
    assert target.requests == []


def test_a_fault_applies_count_times_then_requests_pass_and_star_means_all(target, proxy):
    proxy.add("DescribeInstances=500:2")
    assert [proxy.query("ec2", "DescribeInstances")[0] for _ in range(3)] == [500, 500, 200]
    proxy.add("*=500:*")
    assert [proxy.query("ec2", "RunInstances")[0] for _ in range(3)] == [500, 500, 500]
    assert len(target.requests) == 1
    # A service prefix limits the fault to that service.
    urllib.request.urlopen(urllib.request.Request(proxy.control + "/faults", method="DELETE"), timeout=10).read()
    proxy.add("s3:*=slowdown:*")
    assert proxy.query("ec2", "RunInstances")[0] == 200
    assert proxy.request("GET", "/b/k", headers={"Authorization": scope("s3")})[0] == 503
    assert len(target.requests) == 2


def test_a_dropped_answer_reaches_the_target_and_the_client_gets_nothing(target, proxy):
    proxy.add("RunInstances=drop:1")
    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
        proxy.query("ec2", "RunInstances", "&ClientToken=key-1")
    assert len(target.requests) == 1
    [entry] = proxy.log()
    assert entry["fault"] == "drop" and entry["status"] is None and entry["client_token"] == "key-1"
    assert proxy.query("ec2", "RunInstances", "&ClientToken=key-1")[0] == 200  # only the first


def test_the_control_url_adds_clears_and_refuses_bad_faults(target, proxy):
    for bad in ["RunInstances", "RunInstances=explode", "RunInstances=drop:x"]:
        with pytest.raises(urllib.error.HTTPError) as refused:
            proxy.add(bad)
        assert refused.value.code == 400
    urllib.request.urlopen(urllib.request.Request(
        proxy.control + "/faults", method="POST",
        data=json.dumps({"operation": "ec2:DescribeInstances", "fault": "throttle", "count": "*"}).encode()),
        timeout=10).read()
    assert proxy.query("ec2", "DescribeInstances")[0] == 400
    urllib.request.urlopen(urllib.request.Request(proxy.control + "/faults", method="DELETE"), timeout=10).read()
    assert proxy.query("ec2", "DescribeInstances")[0] == 200
    urllib.request.urlopen(urllib.request.Request(proxy.control + "/log", method="DELETE"), timeout=10).read()
    assert proxy.log() == []


def test_faults_from_the_command_line(target):
    proxy = Proxy(target.url, "--fault", "DescribeInstances=throttle:1", "--fault", "s3:GetObject=500")
    try:
        assert proxy.query("ec2", "DescribeInstances")[0] == 400
        assert proxy.query("ec2", "DescribeInstances")[0] == 200
        assert proxy.request("GET", "/b/k", headers={"Authorization": scope("s3")})[0] == 500
    finally:
        assert proxy.close() == 0  # its standard input closed: it stops


def test_only_a_loopback_target_and_no_chunked_bodies(target, proxy):
    refused = subprocess.run([sys.executable, str(PROXY), "--target", "http://192.0.2.1:80"],
                             stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
    assert refused.returncode == 2 and "loopback" in refused.stderr
    connection = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=10)
    connection.putrequest("PUT", "/b/k")
    connection.putheader("Transfer-Encoding", "chunked")
    connection.endheaders()
    connection.send(b"1\r\nx\r\n0\r\n\r\n")
    assert connection.getresponse().status == 501
    connection.close()
    assert target.requests == []
