#!/usr/bin/env python3
"""A throwaway SMTP server for tests: it accepts mail and writes it to a folder.

    smtp_sink.py --dir DIR [--auth USER:PASSWORD] [--tls none|starttls|implicit
                 --cert CERT.pem --key KEY.pem] [--auth-require-tls]
                 [--verified ADDRESS ...]

Binds 127.0.0.1 on a free port and prints "PORT <n>" on stdout once it accepts
connections. Each message received becomes DIR/<n>.eml (the DATA exactly as
received) and DIR/<n>.json ({"mail_from": ..., "rcpt_tos": [...]}), the .eml
written first under a temporary name and renamed, so a reader never sees half a
message. Stops on SIGTERM, SIGINT, or when stdin reaches end of file (so it cannot
outlive a test that dies).

--auth-require-tls and --verified make it answer as Amazon SES's SMTP interface
does: login is offered only once STARTTLS has secured the connection, and a message
whose sender or any recipient is not a verified identity (SES's sandbox) is refused
after DATA with "554 Message rejected: Email address is not verified. ...".
"""

import argparse
import asyncio
import json
import os
import signal
import socket
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class FolderHandler:
    def __init__(self, folder, verified):
        self.folder = folder
        self.verified = verified
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        if self.verified is not None:
            unverified = [a for a in [envelope.mail_from, *envelope.rcpt_tos] if a not in self.verified]
            if unverified:
                return ("554 Message rejected: Email address is not verified. The following "
                        "identities failed the check in region US-EAST-1: " + ", ".join(unverified))
        self.count += 1
        base = os.path.join(self.folder, str(self.count))
        with open(base + ".json.tmp", "w") as f:
            json.dump({"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos}, f)
        os.rename(base + ".json.tmp", base + ".json")
        with open(base + ".eml.tmp", "wb") as f:
            f.write(envelope.original_content)
        os.rename(base + ".eml.tmp", base + ".eml")
        return "250 Message accepted for delivery"


def make_authenticator(user, password):
    def authenticate(server, session, envelope, mechanism, auth_data):
        if (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user
                and auth_data.password.decode() == password):
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)
    return authenticate


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--auth", help="USER:PASSWORD required to send")
    parser.add_argument("--tls", choices=["none", "starttls", "implicit"], default="none")
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--auth-require-tls", action="store_true",
                        help="offer AUTH only after STARTTLS (as SES does)")
    parser.add_argument("--verified", action="append",
                        help="a verified identity; with any, mail from or to others is refused (554)")
    args = parser.parse_args()

    context = None
    if args.tls != "none":
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.cert, args.key)

    handler = FolderHandler(args.dir, set(args.verified) if args.verified else None)
    options = {"hostname": "sink.test"}
    if args.auth:
        user, password = args.auth.split(":", 1)
        options.update(authenticator=make_authenticator(user, password),
                       auth_required=True, auth_require_tls=args.auth_require_tls)
    if args.tls == "starttls":
        options.update(tls_context=context, require_starttls=True)

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(loop.create_server(
        lambda: SMTP(handler, loop=loop, **options), sock=sock,
        ssl=context if args.tls == "implicit" else None))

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, loop.stop)

    def on_stdin():
        if not os.read(sys.stdin.fileno(), 4096):
            loop.stop()
    loop.add_reader(sys.stdin.fileno(), on_stdin)

    print(f"PORT {sock.getsockname()[1]}", flush=True)
    loop.run_forever()
    server.close()
    loop.run_until_complete(server.wait_closed())


if __name__ == "__main__":
    main()
