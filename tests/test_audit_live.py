"""The audit of live calendars: a real CalDAV server (Radicale) and a local Dask cluster, on 127.0.0.1.

Both must give exactly the audit of the same calendars read from files on this machine.
"""
from __future__ import annotations

import http.server
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Dict, Iterator, List

import pytest
from test_audit import AT, COACHING, STANDUP, STATUS, STATUS_KIM, SYNC
from test_calendar import calendar

from advisor.errors import InputError

caldav = pytest.importorskip("caldav")
pytest.importorskip("radicale")
distributed = pytest.importorskip("distributed")

USER, PASSWORD = "dana", "correct-horse-battery-staple"  # no spaces: Python 3.9 reads no quoted .netrc token
CALENDARS = {"dana": [STATUS, STANDUP, COACHING], "sam": [STATUS, STANDUP, SYNC, COACHING], "kim": [STATUS_KIM, STANDUP]}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def radicale(tmp_path_factory) -> Iterator[str]:
    """A Radicale server on 127.0.0.1 with one user, stopped at the end."""
    work = tmp_path_factory.mktemp("radicale")
    (work / "users").write_text(f"{USER}:{PASSWORD}\n")
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "radicale", "--server-hosts", f"127.0.0.1:{port}",
         "--storage-filesystem-folder", str(work / "collections"), "--auth-type", "htpasswd",
         "--auth-htpasswd-filename", str(work / "users"), "--auth-htpasswd-encryption", "plain",
         "--logging-level", "error"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError(f"radicale did not start: {server.stderr.read() if server.stderr else ''}") from None
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def _fill(url: str) -> List[str]:
    """One calendar per person, each event saved through the CalDAV client; their URLs."""
    urls = []
    with caldav.DAVClient(url=url, username=USER, password=PASSWORD) as client:
        principal = client.principal()
        for person, events in CALENDARS.items():
            collection = principal.make_calendar(name=person, cal_id=person)
            for one in events:
                collection.save_event(calendar(one))
            urls.append(str(collection.url))
    return urls


def _without_sources(result: Dict) -> Dict:
    for one in result["series"]:
        one.pop("source")
    return result


def _files(tmp_path: Path) -> List[str]:
    names = []
    for person, events in CALENDARS.items():
        (tmp_path / f"{person}.ics").write_text(calendar(*events))
        names.append(str(tmp_path / f"{person}.ics"))
    return names


def test_the_audit_of_the_caldav_server_equals_the_audit_of_the_files(cli, radicale, tmp_path, monkeypatch):
    urls = _fill(radicale)
    monkeypatch.setenv("ADVISOR_CALDAV_PASSWORD", PASSWORD)
    code, live, err = cli("audit", *urls, "--user", USER, "--at", AT, "--format", "json")
    assert (code, err) == (0, "")
    code, files, _ = cli("audit", *_files(tmp_path), "--at", AT, "--format", "json")
    assert _without_sources(json.loads(live)) == _without_sources(json.loads(files))
    assert len(json.loads(live)["series"]) == 4


def test_bad_credentials_and_a_missing_password_are_one_line_and_exit_2(cli, radicale, monkeypatch):
    url = f"{radicale}{USER}/dana/"
    monkeypatch.setenv("ADVISOR_CALDAV_PASSWORD", "wrong")
    code, _, err = cli("audit", url, "--user", USER, "--at", AT)
    assert code == 2 and err.splitlines() == [f"{url}: the server refused the user name or password"]
    monkeypatch.delenv("ADVISOR_CALDAV_PASSWORD")
    code, _, err = cli("audit", url, "--user", USER, "--at", AT)
    assert code == 2 and len(err.splitlines()) == 1 and "ADVISOR_CALDAV_PASSWORD" in err


def test_an_answer_over_the_size_limit_is_refused_while_it_arrives(radicale) -> None:
    from advisor.inputs.caldav import fetch_calendars

    with caldav.DAVClient(url=radicale, username=USER, password=PASSWORD) as client:
        collection = client.principal().make_calendar(name="big", cal_id="big")
        for one in [event for events in CALENDARS.values() for event in events]:
            collection.save_event(calendar(one))
        url = str(collection.url)
    whole = sum(len(text) for _, text in fetch_calendars(url, USER, PASSWORD))
    assert whole > 2000
    with pytest.raises(InputError) as refused:
        fetch_calendars(url, USER, PASSWORD, max_bytes=whole // 2)
    assert [str(p) for p in refused.value.problems] == [
        f"{url}: the calendar sent more than {whole // 2:,} bytes: audit a smaller calendar, or export it by date range"]


class _Redirecting(http.server.BaseHTTPRequestHandler):
    """Sends every request to plain http at 0.0.0.0: not a loopback address, yet on Linux a
    connection to it stays on this machine, should a broken check ever follow the redirect."""

    def _redirect(self) -> None:
        self.send_response(301)
        self.send_header("Location", f"http://0.0.0.0:{self.server.server_address[1]}/dana/")
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_PROPFIND = do_REPORT = do_OPTIONS = _redirect

    def log_message(self, *args: object) -> None:
        pass


def test_a_redirect_to_plain_http_elsewhere_is_refused_before_it_is_followed() -> None:
    from advisor.inputs.caldav import fetch_calendars

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Redirecting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/dana/work/"
    try:
        with pytest.raises(InputError) as refused:
            fetch_calendars(url, USER, PASSWORD)
    finally:
        server.shutdown()
        server.server_close()
    assert [str(p) for p in refused.value.problems] == [
        f"{url}: the server redirected to a plain http:// address: credentials are never sent in the clear"]


def test_the_password_may_come_from_netrc(radicale, tmp_path, monkeypatch):
    from advisor.inputs.caldav import password_for

    monkeypatch.delenv("ADVISOR_CALDAV_PASSWORD", raising=False)
    (Path(os.environ["HOME"]) / ".netrc").write_text(f"machine 127.0.0.1 login {USER} password {PASSWORD}\n")
    (Path(os.environ["HOME"]) / ".netrc").chmod(0o600)
    try:
        assert password_for(radicale, USER) == PASSWORD
        assert password_for(radicale, "someone-else") is None
    finally:
        (Path(os.environ["HOME"]) / ".netrc").unlink()


def test_the_audit_on_a_dask_cluster_equals_the_local_run(cli, tmp_path, monkeypatch):
    _files(tmp_path)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        # Named from a folder the workers are not in: they get the calendars, never their paths.
        monkeypatch.chdir(tmp_path)
        files = sorted(path.name for path in tmp_path.glob("*.ics"))
        code, local, _ = cli("audit", *files, "--at", AT, "--format", "json", "--jobs", "2")
        assert code == 0
        code, remote, err = cli("audit", *files, "--at", AT, "--format", "json",
                                "--scheduler", cluster.scheduler_address)
    assert (code, err) == (0, "")
    assert json.loads(remote) == json.loads(local)


def test_an_unreachable_scheduler_is_one_line_and_exit_2(cli, tmp_path, monkeypatch):
    monkeypatch.setattr("advisor.audit.cluster.CONNECT_SECONDS", 2)  # nothing listens there: no need to wait 30 s
    code, _, err = cli("audit", *_files(tmp_path), "--at", AT, "--scheduler", f"tcp://127.0.0.1:{_free_port()}")
    assert code == 2 and len(err.splitlines()) == 1 and "Dask scheduler" in err
