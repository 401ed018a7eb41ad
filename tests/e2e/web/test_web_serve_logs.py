"""`pahna serve`: structured access logs that never carry a secret, X-Forwarded-For only
from declared proxies, and HTTPS from a certificate and key."""

from __future__ import annotations

import http.client
import json
import os
import re
import ssl
import subprocess
import sys
import time
import tomllib
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import tomli_w

from pahna.registry.database import open_registry
from pahna.web.accounts import Account, add_account
from pahna.web.tokens import issue_token
from pahna.workspace import Workspace

REPO = Path(__file__).resolve().parents[3]
PASSWORD = "a-long-secret-password"


def free_port() -> int:
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(home: Path, log: Path, *args: str, tls: ssl.SSLContext | None = None
            ) -> Iterator[int]:
    port = free_port()
    with log.open("w") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "pahna", "serve", "--home", str(home), "--port", str(port),
             *args], cwd=REPO, env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=sink)
        try:
            deadline = time.monotonic() + 60
            while True:
                assert process.poll() is None, log.read_text()
                try:
                    request(port, "GET", "/healthz-probe", tls=tls)
                    break
                except OSError:
                    assert time.monotonic() < deadline, log.read_text()
                    time.sleep(0.2)
            yield port
        finally:
            process.terminate()
            process.wait(timeout=20)


def request(port: int, method: str, path: str, body: str | None = None,
            headers: dict[str, str] | None = None, tls: ssl.SSLContext | None = None
            ) -> http.client.HTTPResponse:
    connection = (http.client.HTTPSConnection("127.0.0.1", port, context=tls, timeout=10)
                  if tls else http.client.HTTPConnection("127.0.0.1", port, timeout=10))
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def json_logs(home: Path) -> None:
    config = home / "pahna.toml"
    settings = tomllib.loads(config.read_text())
    settings["logging"] = {"format": "json", "access_log": True}
    config.write_text(tomli_w.dumps(settings))


def test_access_log_is_json_without_secrets_and_honours_declared_proxies(
        workspace: Workspace, tmp_path: Path) -> None:
    home = workspace.home
    json_logs(home)
    engine = open_registry(workspace.registry_url)
    add_account(engine, Account("minister", "admin", None, None), PASSWORD)
    token = issue_token(engine, "minister", ("read",))
    engine.dispose()
    log = tmp_path / "serve.log"
    with serving(home, log, "--trusted-proxy", "127.0.0.1") as port:
        csrf = "c" * 43
        form = urllib.parse.urlencode({"username": "minister", "password": PASSWORD,
                                       "csrf_token": csrf, "next": "/"})
        login = request(port, "POST", "/login", form, {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"pahna_csrf={csrf}", "X-Forwarded-For": "203.0.113.7"})
        assert login.status == 303
        session = re.search(r"pahna_session=([^;]+)", login.getheader("Set-Cookie") or "")
        assert session
        secret_query = "/api/periods?token=" + token
        assert request(port, "GET", secret_query, headers={
            "Authorization": f"Bearer {token}", "Cookie": f"pahna_session={session[1]}",
            "X-Forwarded-For": "198.51.100.4"}).status == 200
    text = log.read_text()
    lines = [json.loads(line) for line in text.splitlines()]
    requests = [line for line in lines if line["event"] == "request"]
    assert [(r["method"], r["path"], r["status"], r["client"]) for r in requests[-2:]] == [
        ("POST", "/login", 303, "203.0.113.7"), ("GET", "/api/periods", 200, "198.51.100.4")]
    assert all({"ts", "level", "logger", "msg", "ms", "bytes"} <= set(r) for r in requests)
    assert any(line["event"] == "serving" for line in lines)
    for secret in (PASSWORD, token, token[:16], session[1], csrf, "token="):
        assert secret not in text


def test_https_from_cert_and_key_and_forwarded_for_ignored_from_undeclared(
        workspace: Workspace, tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    tls = ssl.create_default_context(cafile=str(cert))
    log = tmp_path / "serve.log"
    with serving(workspace.home, log, "--tls-cert", str(cert), "--tls-key", str(key),
                 tls=tls) as port:
        answer = request(port, "GET", "/login", headers={"X-Forwarded-For": "203.0.113.7"},
                         tls=tls)
        assert answer.status == 200
        assert "Secure" in (answer.getheader("Set-Cookie") or "")
        try:  # plain HTTP on the HTTPS port gets no page
            plain = request(port, "GET", "/").status
        except (OSError, http.client.HTTPException):
            plain = None
        assert plain != 200
    text = log.read_text()
    assert f"on https://127.0.0.1:{port}/" in text
    assert re.search(r'^127\.0\.0\.1 "GET /login" 200 ', text, re.M), text
    assert "203.0.113.7" not in text
