#!/usr/bin/env python3
"""A fault-injecting HTTP proxy in front of an AWS endpoint on loopback (moto, in tests).

Start it with the endpoint it forwards to:

  fault_proxy.py --target http://127.0.0.1:MOTO_PORT [--port 0] [--fault SPEC ...]
                 [--max-seconds 1800] [--ignore-stdin]

It listens on 127.0.0.1 (port 0: a free one) and prints one line of JSON:

  {"endpoint": "http://127.0.0.1:PORT", "control": "http://127.0.0.1:PORT/fault-proxy"}

Point the AWS client at "endpoint" instead of the target (AWS_ENDPOINT_URL, or a
configured endpoint). Requests are forwarded unchanged (the Host header too, so SigV4
signatures still verify), except those a fault matches. It stops when its standard
input closes (its parent went away; start it with --ignore-stdin to keep it running
without one, as from a shell with `< /dev/null`), on SIGTERM, or after --max-seconds.

A fault is written OPERATION=KIND[:COUNT]:
  OPERATION  the AWS operation: the Query protocol's Action (RunInstances,
             DescribeInstances, GetMetricData ...), the JSON protocol's X-Amz-Target
             operation (GetSecretValue), or S3's, from the method and path (GetObject,
             PutObject, DeleteObject, DeleteObjects, HeadObject, ListObjectsV2,
             HeadBucket, ListBuckets). Prefix SERVICE: to match one signing name only
             (ec2:DescribeInstances, s3:GetObject); * matches every operation.
  KIND       throttle  400 with the service's throttling code (EC2: RequestLimitExceeded,
                       other Query services: Throttling, JSON: ThrottlingException,
                       S3: 503 SlowDown, which is how S3 throttles); not forwarded
             slowdown  503 SlowDown; not forwarded
             500       500 InternalError; not forwarded
             drop      forwarded, the target acts and answers, and the connection is then
                       closed without any answer (a lost answer)
  COUNT      how many matching requests get the fault (default 1); * for all of them.
Every error answer carries a request id "fault-proxy-N" in the service's usual place.

Faults are set on the command line (--fault, repeatable) or at run time through the
control URL (never forwarded):
  POST   /fault-proxy/faults  body: a SPEC as text, or JSON {"operation": ..., "fault":
                              ..., "count": N or "*"}; adds it (first match wins)
  DELETE /fault-proxy/faults  removes every fault
  GET    /fault-proxy/log     JSON list of the requests seen, oldest first: {"service",
                              "operation", "fault" (or null), "status" (null when
                              dropped), "request_id", "client_token" (Query requests
                              that have one)}
  DELETE /fault-proxy/log     empties the log

Bounded: loopback only (the target must be a loopback address), bodies up to 64 MB,
no chunked request bodies (answered 501), the log keeps the last 10,000 requests.
"""
import argparse
import http.client
import http.server
import ipaddress
import itertools
import json
import re
import signal
import socket
import sys
import threading
import time
import urllib.parse

MAX_BODY = 64 * 1024 * 1024
MAX_LOG = 10_000
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade", "te",
              "trailer", "content-length"}
KINDS = ("throttle", "slowdown", "500", "drop")
CONTROL = "/fault-proxy"


class Fault:
    def __init__(self, service, operation, kind, count):
        if kind not in KINDS:
            raise ValueError(f"unknown fault {kind!r} (one of {', '.join(KINDS)})")
        self.service, self.operation, self.kind, self.left = service, operation, kind, count

    @classmethod
    def parse(cls, spec):
        match = re.fullmatch(r"\s*(?:([a-z0-9-]+):)?([A-Za-z0-9*]+)=([a-z0-9]+)(?::(\d+|\*))?\s*", spec)
        if not match:
            raise ValueError(f"not a fault: {spec!r} (OPERATION=KIND[:COUNT])")
        service, operation, kind, count = match.groups()
        return cls(service, operation, kind, None if count == "*" else int(count or 1))

    def take(self, service, operation):
        """Whether this fault applies to the request (and uses one of its count)."""
        if self.service and self.service != service:
            return False
        if self.operation != "*" and self.operation != operation:
            return False
        if self.left is not None:
            if self.left <= 0:
                return False
            self.left -= 1
        return True


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.faults = []  # guarded by lock
        self.log = []  # guarded by lock
        self.ids = itertools.count(1)

    def fault_for(self, service, operation):
        with self.lock:
            for fault in self.faults:
                if fault.take(service, operation):
                    return fault.kind
        return None

    def record(self, entry):
        with self.lock:
            self.log.append(entry)
            del self.log[:-MAX_LOG]


def signing_service(headers):
    """The service name of the SigV4 credential scope (Authorization or X-Amz-Credential)."""
    match = re.search(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request", headers.get("Authorization", ""))
    return match.group(1) if match else ""


def operation_of(method, url, headers, body, service):
    """(operation, form parameters or {}) of a request, by its wire protocol."""
    target = headers.get("X-Amz-Target", "")
    if target:
        return target.rsplit(".", 1)[-1], {}
    content_type = headers.get("Content-Type", "")
    if method == "POST" and content_type.startswith("application/x-www-form-urlencoded"):
        form = dict(urllib.parse.parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        return form.get("Action", ""), form
    # S3, path style (/bucket/key) or virtual-hosted (bucket.host/key).
    parsed = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qs(parsed.query, keep_blank_values=True)
    parts = [p for p in parsed.path.split("/") if p]
    virtual = service == "s3" and not re.match(r"^(\d+\.\d+\.\d+\.\d+|localhost|\[)", headers.get("Host", ""))
    has_key = len(parts) >= (1 if virtual else 2)
    has_bucket = virtual or len(parts) >= 1
    if not has_bucket:
        return "ListBuckets", {}
    if not has_key:
        if method == "POST" and "delete" in query:
            return "DeleteObjects", {}
        return {"GET": "ListObjectsV2" if "list-type" in query else "ListObjects", "HEAD": "HeadBucket",
                "PUT": "CreateBucket", "DELETE": "DeleteBucket"}.get(method, method + "Bucket"), {}
    return {"GET": "GetObject", "HEAD": "HeadObject", "PUT": "PutObject",
            "DELETE": "DeleteObject"}.get(method, method + "Object"), {}


def error_answer(kind, service, headers, request_id):
    """(status, headers, body) of the error a fault answers, in the service's shape."""
    if kind == "throttle":
        status, code, message = 400, "Throttling", "Rate exceeded"
        if service == "ec2":
            code, message = "RequestLimitExceeded", "Request limit exceeded."
        elif service == "s3":
            status, code, message = 503, "SlowDown", "Please reduce your request rate."
    elif kind == "slowdown":
        status, code, message = 503, "SlowDown", "Please reduce your request rate."
    else:
        status, code, message = 500, "InternalError", "We encountered an internal error. Please try again."
    if headers.get("X-Amz-Target"):
        if code == "Throttling":
            code = "ThrottlingException"
        body = json.dumps({"__type": code, "message": message}).encode()
        return status, {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": request_id}, body
    if service == "ec2":
        body = (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>{code}</Code>"
                f"<Message>{message}</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>")
    elif service == "s3" or not headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
        body = (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}"
                f"</Message><RequestId>{request_id}</RequestId></Error>")
        return status, {"Content-Type": "application/xml", "x-amz-request-id": request_id}, body.encode()
    else:
        body = (f"<ErrorResponse><Error><Type>{'Receiver' if status >= 500 else 'Sender'}</Type><Code>{code}"
                f"</Code><Message>{message}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>")
    return status, {"Content-Type": "text/xml", "x-amzn-RequestId": request_id}, body.encode()


def make_handler(state, target):
    target_url = urllib.parse.urlsplit(target)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # quiet: the log endpoint has what tests need
            pass

        def answer(self, status, headers, body):
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
            self.close_connection = True

        def read_body(self):
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                return None
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                return None
            return self.rfile.read(length) if length else b""

        def control(self, body):
            path = self.path[len(CONTROL):].split("?", 1)[0]
            try:
                if path == "/faults" and self.command == "POST":
                    text = body.decode()
                    if text.lstrip().startswith("{"):
                        spec = json.loads(text)
                        count = spec.get("count", 1)
                        operation = spec["operation"]
                        service, _, operation = operation.rpartition(":")
                        fault = Fault(service or None, operation, spec["fault"], None if count == "*" else int(count))
                    else:
                        fault = Fault.parse(text)
                    with state.lock:
                        state.faults.append(fault)
                    return self.answer(200, {"Content-Type": "application/json"}, b'{"ok": true}')
                if path == "/faults" and self.command == "DELETE":
                    with state.lock:
                        state.faults.clear()
                    return self.answer(200, {"Content-Type": "application/json"}, b'{"ok": true}')
                if path == "/log" and self.command == "GET":
                    with state.lock:
                        body = json.dumps(state.log).encode()
                    return self.answer(200, {"Content-Type": "application/json"}, body)
                if path == "/log" and self.command == "DELETE":
                    with state.lock:
                        state.log.clear()
                    return self.answer(200, {"Content-Type": "application/json"}, b'{"ok": true}')
            except (ValueError, KeyError) as error:
                return self.answer(400, {"Content-Type": "text/plain"}, str(error).encode())
            return self.answer(404, {"Content-Type": "text/plain"}, b"no such control path")

        def handle_any(self):
            body = self.read_body()
            if body is None:
                return self.answer(501, {"Content-Type": "text/plain"},
                                   b"fault proxy: chunked or over-long request bodies are not forwarded")
            if self.path.startswith(CONTROL + "/") or self.path == CONTROL:
                return self.control(body)
            service = signing_service(self.headers)
            operation, form = operation_of(self.command, self.path, self.headers, body, service)
            kind = state.fault_for(service, operation)
            request_id = f"fault-proxy-{next(state.ids)}"
            entry = {"service": service, "operation": operation, "fault": kind, "status": None,
                     "request_id": request_id}
            if "ClientToken" in form:
                entry["client_token"] = form["ClientToken"]
            if kind in ("throttle", "slowdown", "500"):
                status, headers, answer = error_answer(kind, service, self.headers, request_id)
                entry["status"] = status
                state.record(entry)
                return self.answer(status, headers, answer)

            connection = http.client.HTTPConnection(target_url.hostname, target_url.port or 80, timeout=60)
            try:
                connection.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                for name, value in self.headers.items():
                    if name.lower() not in HOP_BY_HOP:
                        connection.putheader(name, value)
                connection.putheader("Content-Length", str(len(body)))
                connection.endheaders(body)
                response = connection.getresponse()
                answer = response.read()
                headers = {k: v for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP}
                status = response.status
            except OSError as error:
                entry["status"] = 502
                state.record(entry)
                return self.answer(502, {"Content-Type": "text/plain"}, f"fault proxy: target: {error}".encode())
            finally:
                connection.close()
            if kind == "drop":
                state.record(entry)
                self.close_connection = True
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                return None
            entry["status"] = status
            state.record(entry)
            return self.answer(status, headers, answer)

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_PATCH = handle_any

    return Handler


class QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        """A client that went away (or an answer dropped on purpose) is no error here."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


def loopback(url):
    host = urllib.parse.urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", required=True, help="the endpoint to forward to (loopback only)")
    parser.add_argument("--port", type=int, default=0, help="port to listen on, 127.0.0.1 (default: a free one)")
    parser.add_argument("--fault", action="append", default=[], help="OPERATION=KIND[:COUNT]; repeatable")
    parser.add_argument("--max-seconds", type=float, default=1800, help="stop after this long (default 1800)")
    parser.add_argument("--ignore-stdin", action="store_true",
                        help="do not stop when standard input closes (SIGTERM or --max-seconds only)")
    args = parser.parse_args()
    if not loopback(args.target) or urllib.parse.urlsplit(args.target).scheme != "http":
        parser.error("--target must be an http:// URL on a loopback address")
    state = State()
    try:
        state.faults = [Fault.parse(spec) for spec in args.fault]
    except ValueError as error:
        parser.error(str(error))

    server = QuietServer(("127.0.0.1", args.port), make_handler(state, args.target))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = f"http://127.0.0.1:{server.server_address[1]}"
    print(json.dumps({"endpoint": endpoint, "control": endpoint + CONTROL}), flush=True)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())

    def watch_stdin():
        try:
            while sys.stdin.read(4096):
                pass
        except (OSError, ValueError):
            pass
        stop.set()

    if not args.ignore_stdin:
        threading.Thread(target=watch_stdin, daemon=True).start()
    stop.wait(args.max_seconds)
    server.shutdown()
    server.server_close()


if __name__ == "__main__":
    main()
