"""The stand-in Dapr sidecar: nginx on a free loopback port, or a Python fallback when nginx is missing.

nginx answers from memory with one worker, so on loopback it is far faster than any Python client: what the
bench measures is the client's cost per request, which is the point. The fallback is slow enough to cap the fast
clients, hence the warning it carries.
"""

from __future__ import annotations

import contextlib
import ctypes
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.client.payloads import HEALTH_PATH, INVOKE_BODY, STATE_BODY, STATE_ETAG
from bench.cpus import CpuPlan, pin_child

_INSTALL_HINT = "install nginx for meaningful ratios: `apt-get install -y nginx` (Debian/Ubuntu, as root)"
_PR_SET_PDEATHSIG = 1
_NGINX_PATHS = ("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx")


@dataclass(frozen=True)
class StandIn:
    kind: str  # "nginx" or "python"
    port: int
    pid: int  # the server process we started (nginx: the master)
    note: str  # what the reader must know about this server

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def free_port() -> int:
    # Racy in theory (another process could take it before the server binds); on a quiet box it is not.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _nginx_literal(body: bytes) -> str:
    text = body.decode()
    # `return 200 '...'` interpolates $variables and ends at a quote: keep payloads free of both.
    if "'" in text or "$" in text or "\\" in text:
        raise ValueError(f"payload not safe as an nginx string literal: {text!r}")
    return f"'{text}'"


def nginx_config(port: int, workdir: Path, server_cpu: int | None) -> str:
    affinity = f"worker_cpu_affinity {'1' + '0' * server_cpu};" if server_cpu is not None else ""
    temp = "\n".join(
        f"    {name}_temp_path {workdir / name};" for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""
daemon off;
master_process on;
worker_processes 1;
{affinity}
pid {workdir / "nginx.pid"};
error_log {workdir / "error.log"} warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    server_tokens off;
    keepalive_requests 10000000;
    keepalive_timeout 300s;
{temp}
    default_type application/json;
    server {{
        listen 127.0.0.1:{port} backlog=1024;
        location = {HEALTH_PATH} {{ return 204; }}
        location ~ ^/v1\\.0/state/[^/]+/[^/]+$ {{
            if ($request_method != GET) {{ return 405; }}
            add_header ETag '"{STATE_ETAG}"' always;
            return 200 {_nginx_literal(STATE_BODY)};
        }}
        location ~ ^/v1\\.0/invoke/[^/]+/method/ {{
            return 200 {_nginx_literal(INVOKE_BODY)};
        }}
        location / {{ return 404 '{{"errorCode":"ERR_NOT_FOUND"}}'; }}
    }}
}}
"""


def _preexec(cpus: CpuPlan) -> None:
    pin_child(cpus)
    # If the bench is SIGKILLed (no finally runs), the kernel still takes the server down with it.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _probe(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(f"GET {HEALTH_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
            return sock.recv(64).startswith(b"HTTP/1.1 204")
    except OSError:
        return False


def _wait_ready(proc: subprocess.Popen[bytes], port: int, what: str) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with code {proc.returncode} before serving")
        if _probe(port):
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not answer {HEALTH_PATH} within 10 s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()  # nginx: fast shutdown of master and worker; python: default SIGTERM exit
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _start_nginx(nginx: str, workdir: Path, cpus: CpuPlan) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    conf = workdir / "nginx.conf"
    conf.write_text(nginx_config(port, workdir, cpus.server))
    # -e: nginx opens its default error log before reading the config; point it into the temp dir too.
    cmd = [nginx, "-p", str(workdir), "-c", str(conf), "-e", str(workdir / "error.log")]
    with (workdir / "stderr.log").open("wb") as stderr:  # the child keeps its own descriptor
        proc = subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True, preexec_fn=lambda: _preexec(cpus)
        )
    try:
        _wait_ready(proc, port, "nginx")
    except BaseException:
        _stop(proc)
        raise
    return proc, port


def _start_python(cpus: CpuPlan) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    cmd = [sys.executable, "-m", "bench.client.py_stand_in", str(port)]
    # start_new_session: Ctrl-C reaches only the bench, which then stops the server itself, in order.
    proc = subprocess.Popen(cmd, start_new_session=True, preexec_fn=lambda: _preexec(cpus))
    try:
        _wait_ready(proc, port, "python stand-in")
    except BaseException:
        _stop(proc)
        raise
    return proc, port


@contextlib.contextmanager
def running_stand_in(cpus: CpuPlan, force_python: bool = False) -> Iterator[StandIn]:
    """Start the stand-in sidecar; it is stopped and its temp dir removed on exit, Ctrl-C included."""
    # /usr/sbin is not on every PATH (non-root shells on Debian), yet that is where apt puts nginx.
    found = shutil.which("nginx") or next((p for p in _NGINX_PATHS if Path(p).exists()), None)
    nginx = None if force_python else found
    with tempfile.TemporaryDirectory(prefix="dapr-bench-") as tmp:
        proc: subprocess.Popen[bytes] | None = None
        note = ""
        if nginx is not None:
            try:
                proc, port = _start_nginx(nginx, Path(tmp), cpus)
                stand_in = StandIn("nginx", port, proc.pid, f"nginx ({nginx}), 1 worker, loopback")
            except (OSError, RuntimeError) as exc:
                log = Path(tmp, "stderr.log")
                detail = log.read_text(errors="replace").strip().splitlines()[-1:] if log.exists() else []
                note = f"nginx failed to start ({exc}{'; ' + detail[0] if detail else ''}); "
        elif force_python:
            note = "--python-stand-in given; "
        else:
            note = "nginx not found; " + _INSTALL_HINT + "; "
        if proc is None:
            proc, port = _start_python(cpus)
            stand_in = StandIn(
                "python",
                port,
                proc.pid,
                note + "USING THE PYTHON FALLBACK STAND-IN: it is slower than the fast clients, so their rates "
                "and the ratios between clients are compressed and less meaningful",
            )
        try:
            yield stand_in
        finally:
            _stop(proc)
