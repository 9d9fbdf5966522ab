"""HTTP load measurements for benchmarks: the portal under gunicorn, load from ``wrk``.

Reusable by every benchmark that measures pages or API endpoints::

    from bench.http import Server, login_session, run_wrk

    with Server(ctx.workdir) as server:                    # gunicorn, 4 workers, free port
        session = login_session(user, extra={"cases.list.search": "Müller"})
        result = run_wrk(server.url("/faelle/"), cookies=session.cookies)
        result.p50_ms, result.p99_ms, result.requests_per_second

- **Server.** ``gunicorn dak_portal.wsgi`` with the portal's settings
  (``deploy/gunicorn.conf.py``) and 4 sync workers on a free port of 127.0.0.1,
  started from the benchmark process's environment (the runner has pointed ``DATABASE_URL`` at
  the benchmark database and set ``DEBUG=false``), the error log in the scratch directory and,
  with ``access_log=True``, an access log of each request's server time (``server_times``).
  Started when ``/healthz`` answers, stopped with SIGTERM (SIGKILL after a grace period) so no
  worker outlives the benchmark.
- **Sessions** are created directly in the session store (what the login would store, the
  second factor marked verified for admins), so measuring needs no login form, no OTP and no
  password hashing; extra session keys (e.g. the case list's search term, which never goes
  into a URL) are set the same way. POSTs get a CSRF cookie and the matching header.
- **Load**: ``wrk`` (Debian package, scripts/system-deps.sh), 8 connections, 10 s, with
  ``--latency``; a Lua script only where the method, body or path must vary (``requests=``).
  Latencies are what wrk sees over loopback, with no network or TLS in between: the server's
  time, a loopback round trip (tens of microseconds) and, with 8 connections on 4 workers, the
  wait for a free worker. ``ServerTimes`` is the server's own part, from gunicorn's access
  log. Any non-2xx/3xx answer or socket error
  fails the measurement (``WrkResult.check``), so a redirect to the login or a 403 can never
  pass for a fast page.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from http.client import HTTPConnection
from pathlib import Path

from bench.context import percentile

BASE_DIR = Path(__file__).resolve().parent.parent
WORKERS = 4
CONNECTIONS = 8
DURATION_SECONDS = 10
# wrk counts an answer slower than its timeout (default 2 s) as a socket error and leaves it out
# of the latencies; a slow answer belongs in p99, so the timeout is generous.
TIMEOUT_SECONDS = 10
START_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 15


# --- wrk output --------------------------------------------------------------------------------


_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_LATENCY_LINE = re.compile(r"^\s*(50|75|90|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s|m|h)\s*$", re.M)
_THREAD_LATENCY = re.compile(
    r"^\s*Latency\s+([\d.]+)(us|ms|s|m|h)\s+([\d.]+)(us|ms|s|m|h)\s+([\d.]+)(us|ms|s|m|h)", re.M
)
_TOTAL = re.compile(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h),", re.M)
_RPS = re.compile(r"^Requests/sec:\s+([\d.]+)", re.M)
_SOCKET_ERRORS = re.compile(
    r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", re.M
)
_SOCKET_ERROR_KINDS = ("connect", "read", "write", "timeout")
_NON_2XX = re.compile(r"Non-2xx or 3xx responses: (\d+)", re.M)


class WrkError(RuntimeError):
    """wrk did not run, its output could not be read, or answers were errors."""


@dataclass
class WrkResult:
    requests: int
    seconds: float
    requests_per_second: float
    mean_ms: float
    max_ms: float
    percentiles_ms: dict[int, float]
    socket_errors: dict[str, int] = field(default_factory=dict)
    non_2xx_3xx: int = 0
    output: str = field(default="", repr=False)

    @property
    def p50_ms(self) -> float:
        return self.percentiles_ms[50]

    @property
    def p99_ms(self) -> float:
        return self.percentiles_ms[99]

    @property
    def errors(self) -> int:
        return self.non_2xx_3xx + sum(self.socket_errors.values())

    def check(self) -> WrkResult:
        """Raise unless every request got a 2xx/3xx answer without socket errors."""
        if self.requests == 0:
            raise WrkError("wrk hat keine einzige Antwort erhalten.")
        if self.errors:
            raise WrkError(
                f"{self.non_2xx_3xx} Antworten mit Fehlerstatus, Socket-Fehler "
                f"{self.socket_errors} bei {self.requests} Anfragen"
            )
        return self


@dataclass
class ServerTimes:
    """The server's own time per request, in milliseconds, from gunicorn's access log: from the
    parsed request to the last byte of the answer written, in the worker. What wrk measures
    besides is the loopback round trip and the wait for a free worker."""

    milliseconds: list[float]

    @property
    def p50_ms(self) -> float:
        return percentile(self.milliseconds, 50)

    @property
    def p99_ms(self) -> float:
        return percentile(self.milliseconds, 99)


def _ms(value: str, unit: str) -> float:
    return float(value) * _UNIT_MS[unit]


def parse_wrk(output: str) -> WrkResult:
    """Read wrk's text report (run with ``--latency``)."""
    percentiles = {int(p): _ms(v, u) for p, v, u in _LATENCY_LINE.findall(output)}
    total = _TOTAL.search(output)
    rps = _RPS.search(output)
    latency = _THREAD_LATENCY.search(output)
    if total is None or rps is None or latency is None or set(percentiles) != {50, 75, 90, 99}:
        raise WrkError(f"Ausgabe von wrk nicht lesbar:\n{output}")
    errors = _SOCKET_ERRORS.search(output)
    non_2xx = _NON_2XX.search(output)
    return WrkResult(
        requests=int(total[1]),
        seconds=_ms(total[2], total[3]) / 1000,
        requests_per_second=float(rps[1]),
        mean_ms=_ms(latency[1], latency[2]),
        max_ms=_ms(latency[5], latency[6]),
        percentiles_ms=percentiles,
        socket_errors=(
            dict(
                zip(("connect", "read", "write", "timeout"), map(int, errors.groups()), strict=True)
            )
            if errors
            else {}
        ),
        non_2xx_3xx=int(non_2xx[1]) if non_2xx else 0,
        output=output,
    )


# --- Lua for wrk -------------------------------------------------------------------------------


def _lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string literal is a valid Lua string literal for ASCII


def wrk_script(requests: list[dict], *, headers: dict[str, str] | None = None) -> str:
    """A wrk Lua script cycling through ``requests`` (dicts with ``method``, ``path`` and an
    optional ``body``); each wrk thread starts at a different place, so threads do not hit the
    same record at the same moment."""
    for request in requests:
        for value in (request["path"], request.get("body", "")):
            if not value.isascii():
                raise ValueError("wrk-Anfragen bitte URL-kodiert (nur ASCII)")
    entries = ",\n".join(
        "  {{{}, {}, {}}}".format(
            _lua_string(r.get("method", "GET")),
            _lua_string(r["path"]),
            _lua_string(r["body"]) if r.get("body") else "nil",
        )
        for r in requests
    )
    header_lines = "\n".join(
        f"wrk.headers[{_lua_string(k)}] = {_lua_string(v)}" for k, v in (headers or {}).items()
    )
    return f"""-- generated by bench/http.py
local requests = {{
{entries}
}}
{header_lines}
local threads = 0
function setup(thread)
  thread:set("thread_number", threads)
  threads = threads + 1
end
function init(args)
  position = (thread_number or 0) * math.floor(#requests / 8)
end
function request()
  position = position % #requests + 1
  local r = requests[position]
  return wrk.format(r[1], r[2], nil, r[3])
end
"""


def run_wrk(
    url: str,
    *,
    cookies: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    requests: list[dict] | None = None,
    connections: int = CONNECTIONS,
    duration: int = DURATION_SECONDS,
    threads: int | None = None,
    timeout: int = TIMEOUT_SECONDS,
    workdir: Path | None = None,
    check: bool = True,
) -> WrkResult:
    """Load ``url`` (or the ``requests`` under its host) with wrk and return the parsed report."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise WrkError("wrk fehlt (Debian-Paket wrk; scripts/system-deps.sh installiert es).")
    all_headers = dict(headers or {})
    if cookies:
        all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    threads = threads or min(4, connections)
    command = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration}s",
        f"--timeout={timeout}s",
        "--latency",
    ]
    for name, value in all_headers.items():
        command += ["-H", f"{name}: {value}"]
    if requests:
        directory = workdir or Path(tempfile.gettempdir())
        script = directory / f"wrk-{os.getpid()}-{time.monotonic_ns()}.lua"
        script.write_text(wrk_script(requests), encoding="ascii")
        command += ["-s", str(script)]
    command.append(url)
    done = subprocess.run(command, capture_output=True, text=True, timeout=duration + timeout + 60)
    if done.returncode != 0:
        raise WrkError(f"wrk brach ab ({done.returncode}): {done.stderr or done.stdout}")
    result = parse_wrk(done.stdout)
    if check:
        try:
            result.check()
        except WrkError as exc:
            raise WrkError(f"{url}: {exc}") from None
    return result


# --- gunicorn ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """gunicorn serving the portal for the benchmark database, as a context manager."""

    def __init__(
        self,
        workdir: Path,
        *,
        workers: int = WORKERS,
        env: dict | None = None,
        access_log: bool = False,
    ):
        self.workdir = Path(workdir)
        self.workers = workers
        self.extra_env = env or {}
        self.port = 0
        self.process: subprocess.Popen | None = None
        self.log_path = self.workdir / "gunicorn.log"
        self.access_log_path = self.workdir / "access.log" if access_log else None

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def start(self) -> None:
        from django.conf import settings

        self.port = free_port()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": os.environ.get(
                "DJANGO_SETTINGS_MODULE", "dak_portal.settings"
            ),
            "DEBUG": "false",
            # The benchmark database the runner switched to (settings read it at import).
            "DATABASE_URL": os.environ["DATABASE_URL"],
            **self.extra_env,
        }
        if settings.DEBUG:
            raise RuntimeError("Benchmarks messen ohne DEBUG (DEBUG=false).")
        self.workdir.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.command(),
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn beendete sich beim Start:\n{self._log_tail()}")
            try:
                if self.get("/healthz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn antwortete nicht auf /healthz:\n{self._log_tail()}")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)  # the arbiter stops its workers gracefully
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # its own session: the arbiter and workers
            process.wait(timeout=STOP_TIMEOUT_SECONDS)

    def command(self) -> list[str]:
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "--config=deploy/gunicorn.conf.py",
            "dak_portal.wsgi",
            f"--workers={self.workers}",
            f"--bind=127.0.0.1:{self.port}",
            "--worker-class=sync",
            "--log-level=warning",
            f"--error-logfile={self.log_path}",
        ]
        if self.access_log_path is not None:
            # One line per request: its time in the worker, in microseconds.
            command += [f"--access-logfile={self.access_log_path}", "--access-logformat=%(D)s"]
        return command

    def access_log_mark(self) -> int:
        """Where the access log ends now: ``server_times(mark)`` reads the requests after it."""
        try:
            return self.access_log_path.stat().st_size
        except FileNotFoundError:
            return 0

    def server_times(self, since: int) -> ServerTimes:
        """The server times of the requests logged after ``since`` (``access_log_mark``)."""
        if self.access_log_path is None:
            raise RuntimeError("Server ohne Zugriffsprotokoll (access_log=True).")
        with self.access_log_path.open("rb") as log:
            log.seek(since)
            lines = log.read().decode("ascii").split()
        if not lines:
            raise RuntimeError("Das Zugriffsprotokoll enthält keine Anfragen der Messung.")
        return ServerTimes([int(line) / 1000 for line in lines])

    def get(self, path: str, *, cookies: dict[str, str] | None = None) -> tuple[int, str]:
        """One GET outside the load (status, body; redirects not followed), e.g. to check that
        a page answers 200 for the session before it is measured."""
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())} if cookies else {}
        connection = HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request("GET", path, headers=headers)
            answer = connection.getresponse()
            return answer.status, answer.read().decode("utf-8", "replace")
        finally:
            connection.close()

    def _log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


# --- sessions ----------------------------------------------------------------------------------


@dataclass
class Session:
    key: str
    csrf_token: str

    @property
    def cookies(self) -> dict[str, str]:
        from django.conf import settings

        return {settings.SESSION_COOKIE_NAME: self.key, settings.CSRF_COOKIE_NAME: self.csrf_token}

    @property
    def post_headers(self) -> dict[str, str]:
        """Headers a form POST needs besides the cookies (CSRF, form encoding)."""
        return {
            "X-CSRFToken": self.csrf_token,
            "Content-Type": "application/x-www-form-urlencoded",
        }


def login_session(user, *, extra: dict | None = None) -> Session:
    """A session as the login leaves it (Django's test client ``force_login``: the session
    store of the settings, the first backend that loads users), admins with a verified second
    factor as after the OTP step, plus ``extra`` keys."""
    from django.conf import settings
    from django.middleware.csrf import _get_new_csrf_string
    from django.test import Client

    from accounts.models import Role

    client = Client()
    client.force_login(user)
    session = client.session
    if user.role == Role.ADMIN:
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device, _ = TOTPDevice.objects.get_or_create(
            user=user, name="Benchmark", defaults={"confirmed": True}
        )
        session["otp_device_id"] = device.persistent_id
    for key, value in (extra or {}).items():
        session[key] = value
    session.save()
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    return Session(key=key, csrf_token=_get_new_csrf_string())


def bench_user(role, email: str):
    """The benchmark's user of ``role`` (created once per database, password unusable)."""
    from accounts.models import User

    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(
            email=email, password=None, role=role, first_name="Bench", last_name="Mark"
        )
    if getattr(user, "must_change_password", False):
        user.must_change_password = False
        user.save(update_fields=["must_change_password"])
    return user
