"""The HTTP benchmark harness: reading wrk's report, the Lua script for varying requests (run
through the real wrk against a tiny local server), sessions as the login leaves them."""

import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench import http
from bench.http import WrkError, parse_wrk, run_wrk, wrk_script

REPORT = """\
Running 10s test @ http://127.0.0.1:50649/faelle/
  4 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    12.40ms    4.02ms  95.10ms   81.20%
    Req/Sec   161.52     20.33   212.00     70.25%
  Latency Distribution
     50%   11.84ms
     75%   13.90ms
     90%   16.75ms
     99%   28.02ms
  6441 requests in 10.01s, 98.52MB read
Requests/sec:    643.47
Transfer/sec:      9.84MB
"""

SLOW_REPORT = """\
Running 10s test @ http://127.0.0.1:50649/admin/cases/case/
  4 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.02s   210.44ms   1.99s    69.00%
    Req/Sec     2.10      1.51     10.00     88.00%
  Latency Distribution
     50%  980.00ms
     75%    1.11s
     90%    1.30s
     99%    1.85s
  78 requests in 10.05s, 3.21MB read
  Socket errors: connect 0, read 0, write 0, timeout 3
  Non-2xx or 3xx responses: 2
Requests/sec:      7.76
Transfer/sec:    327.10KB
"""


def test_the_report_is_read_in_milliseconds():
    result = parse_wrk(REPORT)
    assert result.requests == 6441
    assert result.seconds == pytest.approx(10.01)
    assert result.requests_per_second == pytest.approx(643.47)
    assert result.p50_ms == pytest.approx(11.84)
    assert result.p99_ms == pytest.approx(28.02)
    assert result.percentiles_ms[75] == pytest.approx(13.90)
    assert result.mean_ms == pytest.approx(12.40)
    assert result.max_ms == pytest.approx(95.10)
    assert result.errors == 0
    assert result.check() is result


def test_seconds_microseconds_and_errors_are_read_and_errors_fail_the_check():
    result = parse_wrk(SLOW_REPORT)
    assert result.p50_ms == pytest.approx(980.0)
    assert result.p99_ms == pytest.approx(1850.0)
    assert result.mean_ms == pytest.approx(1020.0)
    assert result.socket_errors == {"connect": 0, "read": 0, "write": 0, "timeout": 3}
    assert result.non_2xx_3xx == 2
    assert result.errors == 5
    with pytest.raises(WrkError, match="2 Antworten mit Fehlerstatus"):
        result.check()
    fast = parse_wrk(REPORT.replace("11.84ms", "840.00us"))
    assert fast.p50_ms == pytest.approx(0.84)


def test_an_unreadable_report_is_an_error_not_a_zero():
    with pytest.raises(WrkError, match="nicht lesbar"):
        parse_wrk("unable to connect to 127.0.0.1:9 Connection refused\n")
    without_distribution = REPORT.split("  Latency Distribution")[0]
    with pytest.raises(WrkError):
        parse_wrk(without_distribution)


def test_the_script_lists_every_request_and_refuses_non_ascii():
    script = wrk_script(
        [
            {"path": "/faelle/1/"},
            {"method": "POST", "path": "/faelle/2/icd/", "body": "icd=C50.1&ansicht=zeile"},
        ]
    )
    assert '{"GET", "/faelle/1/", nil}' in script
    assert '{"POST", "/faelle/2/icd/", "icd=C50.1&ansicht=zeile"}' in script
    with pytest.raises(ValueError):
        wrk_script([{"path": "/faelle/?q=Müller"}])


class _Recorder(BaseHTTPRequestHandler):
    seen: list = []
    lock = threading.Lock()

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        with self.lock:
            self.seen.append((self.command, self.path, body, self.headers.get("Cookie")))
        status = 404 if self.path == "/fehlt/" else 200
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    do_GET = do_POST = _answer

    def log_message(self, *args):
        pass


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # wrk drops its connections mid-request when its time is up


@pytest.fixture
def recorder():
    _Recorder.seen = []
    server = _QuietServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Recorder.seen
    server.shutdown()
    server.server_close()


needs_wrk = pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk ist nicht installiert")


@needs_wrk
def test_wrk_sends_the_scripted_requests_with_cookies(recorder, tmp_path):
    base, seen = recorder
    requests = [
        {"method": "POST", "path": f"/faelle/{pk}/icd/", "body": f"icd=C50.{pk}"} for pk in (1, 2)
    ] + [{"path": "/faelle/3/"}]
    result = run_wrk(
        base + "/",
        cookies={"sessionid": "abc"},
        requests=requests,
        connections=2,
        duration=1,
        workdir=tmp_path,
    )
    assert result.requests > 3
    assert {(method, path, body) for method, path, body, _cookie in seen} == {
        ("POST", "/faelle/1/icd/", "icd=C50.1"),
        ("POST", "/faelle/2/icd/", "icd=C50.2"),
        ("GET", "/faelle/3/", ""),
    }
    assert {cookie for *_rest, cookie in seen} == {"sessionid=abc"}


@needs_wrk
def test_error_answers_fail_the_run(recorder):
    base, _seen = recorder
    with pytest.raises(WrkError, match="Fehlerstatus"):
        run_wrk(base + "/fehlt/", connections=1, duration=1)


@pytest.mark.django_db
def test_a_session_is_logged_in_with_extra_keys_and_admins_verified(client, admin_user):
    from django.conf import settings

    session = http.login_session(admin_user, extra={"cases.list.search": "Weiß"})
    client.cookies[settings.SESSION_COOKIE_NAME] = session.key
    response = client.get("/faelle/")
    # Logged in, the second factor counted as done, and the term taken from the session.
    assert response.status_code == 200
    assert response.wsgi_request.user == admin_user
    assert response.wsgi_request.user.is_verified()
    assert response.context["search"] == "Weiß"
    assert session.cookies[settings.CSRF_COOKIE_NAME] == session.csrf_token
    assert session.post_headers["X-CSRFToken"] == session.csrf_token


@pytest.mark.django_db
def test_a_post_with_the_session_passes_the_csrf_check(dak_user):
    from django.conf import settings
    from django.test import Client

    session = http.login_session(dak_user)
    client = Client(enforce_csrf_checks=True)
    for name, value in session.cookies.items():
        client.cookies[name] = value
    refused = client.post("/faelle/suche/", {"q": "Kühn", "filter": ""})
    assert refused.status_code == 403
    accepted = client.post(
        "/faelle/suche/",
        {"q": "Kühn", "filter": ""},
        headers={"X-CSRFToken": session.csrf_token},
    )
    assert accepted.status_code == 303
    assert settings.CSRF_COOKIE_NAME in session.cookies


def test_a_free_loopback_port_is_found():
    port = http.free_port()
    assert 1024 < port < 65536


# --- the server's own times (gunicorn's access log) -------------------------------------------


def test_server_times_use_nearest_rank_percentiles():
    from bench.context import percentile

    values = [float(n) for n in range(1, 101)]  # 1 … 100
    assert percentile(values, 50) == 50
    assert percentile(values, 99) == 99
    assert percentile([7.0], 99) == 7
    assert percentile([3.0, 1.0, 2.0], 50) == 2
    with pytest.raises(ValueError):
        percentile([], 50)
    times = http.ServerTimes([float(n) for n in range(100, 0, -1)])
    assert (times.p50_ms, times.p99_ms) == (50, 99)


def test_the_server_logs_each_request_s_time_only_when_asked(tmp_path):
    assert not any("access-log" in part for part in http.Server(tmp_path).command())
    command = http.Server(tmp_path, access_log=True).command()
    assert f"--access-logfile={tmp_path / 'access.log'}" in command
    assert "--access-logformat=%(D)s" in command  # microseconds


def test_server_times_are_the_requests_after_the_mark_in_milliseconds(tmp_path):
    server = http.Server(tmp_path, access_log=True)
    assert server.access_log_mark() == 0  # no log yet
    log = tmp_path / "access.log"
    log.write_text("900000\n")  # the warm-up, before the mark
    mark = server.access_log_mark()
    with log.open("a") as more:
        more.write("12500\n30000\n8000\n")
    times = server.server_times(mark)
    assert times.milliseconds == [12.5, 30.0, 8.0]
    assert times.p50_ms == 12.5
    assert times.p99_ms == 30.0
    with pytest.raises(RuntimeError):
        server.server_times(log.stat().st_size)  # nothing logged after that mark


def test_a_server_without_access_log_has_no_server_times(tmp_path):
    with pytest.raises(RuntimeError):
        http.Server(tmp_path).server_times(0)
