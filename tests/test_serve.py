"""`annotate serve`: the review screen in a browser through textual-serve, the annotator from the proxy's header.

The browser test runs Debian's Chromium (/usr/bin/chromium, /usr/bin/chromedriver) headless through selenium,
reviews one task and finds the decision in the SQLite store; it is skipped when either is missing.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from adjudication_data import TASKS, make_store
from annotate.errors import AnnotateError
from annotate.review.serve import ServeOptions, annotator_from, check_user_header

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")


@pytest.mark.parametrize(
    ("value", "expected"),
    [("alice", "alice"), ("  bob  ", "bob"), ("", None), (None, None), ("a\x1bb", None), ("x" * 101, None),
     ("Zoé Durand", "Zoé Durand")],
    ids=["plain", "padded", "empty", "missing", "control", "too-long", "accented"],
)
def test_serve_annotator_from_header(value: str | None, expected: str | None):
    assert annotator_from(value) == expected


@pytest.mark.parametrize("header", ["X User", "", "X-User:", "-x"], ids=["space", "empty", "colon", "dash-first"])
def test_serve_bad_user_header_name_is_a_usage_error(header: str):
    with pytest.raises(AnnotateError) as e:
        check_user_header(header)
    assert e.value.code == "E735" and e.value.exit_code == 2


def test_serve_child_command_quotes_every_word(tmp_path: Path):
    opts = ServeOptions(dataset="news; rm -rf /", db=tmp_path / "my db.db", adjudicate_to="gold")
    words = shlex.split(opts.command())
    assert words[0] == "exec" and words[2:] == ["-m", "annotate.review.serve_child", "--dataset", "news; rm -rf /", "--db",
                         str(tmp_path / "my db.db"), "--adjudicate", "gold"]


def test_serve_child_command_passes_the_overlap(tmp_path: Path):
    opts = ServeOptions(dataset="news", db=tmp_path / "t.db", overlap=2, overlap_share=0.25)
    words = shlex.split(opts.command())
    assert words[-4:] == ["--overlap", "2", "--overlap-share", "0.25"]
    assert "--overlap" not in ServeOptions(dataset="news", db=tmp_path / "t.db").command()


def test_serve_child_reviews_with_the_overlap_and_releases_its_claims(tmp_path: Path, monkeypatch):
    """A visitor's process routes like review --overlap: its session claims tasks, and gives back the unanswered."""
    from annotate.review import serve_child
    from annotate.review.app import ReviewApp

    seen = {}

    def fake_run(self):  # noqa: ANN001, ANN202
        seen["overlap"] = self.session.overlap
        seen["claimed"] = self.session.item is not None

    monkeypatch.setattr(ReviewApp, "run", fake_run)
    monkeypatch.setenv("ANNOTATE_ANNOTATOR", "dave")  # answered nothing yet
    db = make_store(tmp_path / "t.db")
    assert serve_child.main(["--dataset", "news", "--db", str(db), "--overlap", "4"]) == 0
    assert seen == {"overlap": 4, "claimed": True}
    import sqlite3

    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM claim").fetchone()[0] == 0  # released at the end


def test_serve_visitor_process_gets_the_annotator_in_its_environment(tmp_path: Path, monkeypatch):
    pytest.importorskip("textual_serve")
    from annotate.review.serve import make_server

    monkeypatch.setenv("ANNOTATE_ANNOTATOR", "server-user")
    server = make_server(ServeOptions(dataset="news", db=tmp_path / "t.db"), user_header="X-Forwarded-User")

    async def nothing(*args) -> None:
        return None

    service = server.service_class(server.command, annotator="Zoé", write_bytes=nothing, write_str=nothing,
                                   close=nothing, download_manager=server.download_manager)
    env = service._build_environment(100, 30)
    assert env["ANNOTATE_ANNOTATOR"] == "Zoé" and env["TEXTUAL_DRIVER"].startswith("textual.drivers.web_driver")
    assert server.command.endswith(f"--db {shlex.quote(str(tmp_path / 't.db'))}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serving(db: Path, *args: str, port: int | None = None) -> Iterator[str]:
    """``annotate serve`` in a subprocess on a loopback port (a free one by default) until the block ends;
    yields its URL."""
    port = port or _free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("ANNOTATE_ANNOTATOR", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "annotate", "serve", "--dataset", "news", "--db", str(db), "--port", str(port), *args],
        cwd=db.parent, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                out = proc.stdout.read() if proc.stdout else ""
                pytest.fail(f"annotate serve did not start: {out[-2000:]}")
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def test_serve_without_the_user_header_refuses_before_starting_a_process(tmp_path: Path):
    pytest.importorskip("textual_serve")
    db = make_store(tmp_path / "t.db")
    with serving(db) as url:
        for path in ("/", "/ws"):
            with pytest.raises(urllib.error.HTTPError) as e:
                urllib.request.urlopen(url + path, timeout=10)
            assert e.value.code == 401
            assert "X-Remote-User" in e.value.read().decode()
        req = urllib.request.Request(url + "/", headers={"X-Remote-User": "alice"})
        with urllib.request.urlopen(req, timeout=10) as r:
            assert r.status == 200 and "/ws" in r.read().decode()


def _chrome():
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip("needs Debian's chromium and chromium-driver (/usr/bin/chromium, /usr/bin/chromedriver)")
    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,900"):
        opts.add_argument(a)
    return webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=opts)


def _decisions(db: Path, annotator: str) -> list[tuple[str, str]]:
    import json

    with contextlib.closing(sqlite3.connect(db)) as c:
        rows = c.execute("SELECT answer, content FROM decision WHERE annotator = ? ORDER BY id", (annotator,))
        return [(a, json.loads(content)["text"]) for a, content in rows]


def _processes_with(text: str) -> list[int]:
    """The processes whose command line holds ``text`` (from /proc)."""
    out = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            with contextlib.suppress(OSError):
                if text in (p / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"):
                    out.append(int(p.name))
    return out


def test_serve_headless_chromium_reviews_a_task_into_the_store(tmp_path: Path):
    pytest.importorskip("textual_serve")
    from selenium.webdriver.common.by import By

    db = make_store(tmp_path / "t.db")
    driver = _chrome()
    try:
        with serving(db) as url:
            # what the authenticating proxy does: every request (the page and its websocket) names the user
            driver.execute_cdp_cmd("Network.enable", {})
            driver.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": {"X-Remote-User": "webuser"}})
            driver.get(url + "/")
            deadline = time.monotonic() + 30
            while "-first-byte" not in (driver.execute_script("return document.body.className") or ""):
                assert time.monotonic() < deadline, "the review screen never reached the browser"
                time.sleep(0.2)
            time.sleep(1.0)  # the first frame is out; let the app mount its bindings
            assert _decisions(db, "webuser") == []
            driver.find_element(By.CSS_SELECTOR, "textarea.xterm-helper-textarea").send_keys("a")  # accept
            deadline = time.monotonic() + 20
            while not (found := _decisions(db, "webuser")):
                assert time.monotonic() < deadline, "no decision of webuser in the store"
                time.sleep(0.2)
            assert found == [("accept", TASKS[0]["text"])]
            assert len(_processes_with(str(db))) == 2  # the server and the visitor's process
        # the server stopped with the browser still connected: the visitor's process went with it
        deadline = time.monotonic() + 15
        while _processes_with(str(db)):
            assert time.monotonic() < deadline, "a visitor's process outlived the server"
            time.sleep(0.2)
    finally:
        driver.quit()


def test_serve_without_textual_serve_says_which_extra_to_install(tmp_path: Path, monkeypatch, capsys):
    from annotate.cli.main import main

    monkeypatch.setitem(sys.modules, "textual_serve.server", None)  # import fails as if not installed
    db = make_store(tmp_path / "t.db")
    assert main(["serve", "--dataset", "news", "--db", str(db)]) == 1
    err = capsys.readouterr().err
    assert "[E734]" in err and "annotate-news[serve]" in err and err.count("\n") == 1


@pytest.mark.parametrize(
    ("args", "code"),
    [(["--dataset", "nope"], "E313"), (["--dataset", "news", "--user-header", "X User"], "E735"),
     (["--dataset", "news", "--auto-accept-agreed"], "E733"), (["--dataset", "news", "--adjudicate", "news"], "E731"),
     (["--dataset", "news", "--overlap", "0"], "E701"), (["--dataset", "news", "--overlap-share", "0.5"], "E706")],
    ids=["unknown-dataset", "bad-header", "auto-without-adjudicate", "gold-is-source", "overlap-0", "share-alone"],
)
def test_serve_checks_before_serving(tmp_path: Path, capsys, args: list[str], code: str):
    pytest.importorskip("textual_serve")
    from annotate.cli.main import main

    db = make_store(tmp_path / "t.db")
    assert main(["serve", "--db", str(db), *args]) != 0
    err = capsys.readouterr().err
    assert f"[{code}]" in err and err.count("\n") == 1


def test_serve_missing_database_is_not_created(tmp_path: Path, capsys):
    pytest.importorskip("textual_serve")
    from annotate.cli.main import main

    assert main(["serve", "--db", str(tmp_path / "none.db"), "--dataset", "news"]) != 0
    assert not (tmp_path / "none.db").exists()


def test_serve_child_without_an_annotator_refuses(tmp_path: Path, monkeypatch, capsys):
    from annotate.review.serve_child import main

    monkeypatch.delenv("ANNOTATE_ANNOTATOR", raising=False)
    db = make_store(tmp_path / "t.db")
    assert main(["--dataset", "news", "--db", str(db)]) == 2
    assert "[E320]" in capsys.readouterr().err


NGINX = Path("/usr/sbin/nginx")
# the README's nginx example (auth_basic), on loopback ports; {user} is set when nginx runs as root
NGINX_CONF = """
{user}
worker_processes 1;
error_log {prefix}/error.log;
pid {prefix}/nginx.pid;
events {{ worker_connections 64; }}
http {{
    access_log off;
    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
    server {{
        listen 127.0.0.1:{port};
        auth_basic "annotate";
        auth_basic_user_file {prefix}/htpasswd;
        location / {{
            proxy_pass http://127.0.0.1:{upstream};
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $host;
            proxy_set_header X-Remote-User $remote_user;
            proxy_read_timeout 1d;
        }}
    }}
}}
"""


@contextlib.contextmanager
def nginx(prefix: Path, port: int, upstream: int, users: dict[str, str]) -> Iterator[None]:
    import base64
    import hashlib

    prefix.mkdir()
    (prefix / "htpasswd").write_text(
        "".join(f"{u}:{{SHA}}{base64.b64encode(hashlib.sha1(p.encode()).digest()).decode()}\n" for u, p in users.items()))
    conf = prefix / "nginx.conf"
    conf.write_text(NGINX_CONF.format(user="user root;" if os.geteuid() == 0 else "", prefix=prefix, port=port,
                                      upstream=upstream))
    subprocess.run([str(NGINX), "-c", str(conf), "-p", str(prefix)], check=True, capture_output=True, timeout=20)
    try:
        yield
    finally:
        with contextlib.suppress(OSError, ValueError):
            os.kill(int((prefix / "nginx.pid").read_text()), 15)


def test_serve_behind_nginx_auth_basic_the_proxy_names_the_annotator(tmp_path: Path):
    """The README's nginx example: the logged-in user reviews; a client's own X-Remote-User is overwritten."""
    pytest.importorskip("textual_serve")
    import base64

    from selenium.webdriver.common.by import By

    if not NGINX.exists():
        pytest.skip("needs Debian's nginx (/usr/sbin/nginx)")
    db = make_store(tmp_path / "t.db")
    proxy_port, upstream = _free_port(), _free_port()
    driver = _chrome()
    try:
        with serving(db, "--public-url", f"http://127.0.0.1:{proxy_port}", port=upstream), \
                nginx(tmp_path / "nginx", proxy_port, upstream, {"dave": "s3cret"}):
            url = f"http://127.0.0.1:{proxy_port}/"
            with pytest.raises(urllib.error.HTTPError) as e:  # the header alone does not get in
                urllib.request.urlopen(urllib.request.Request(url, headers={"X-Remote-User": "alice"}), timeout=10)
            assert e.value.code == 401
            token = base64.b64encode(b"dave:s3cret").decode()
            driver.execute_cdp_cmd("Network.enable", {})
            driver.execute_cdp_cmd("Network.setExtraHTTPHeaders",
                                   {"headers": {"Authorization": f"Basic {token}", "X-Remote-User": "mallory"}})
            driver.get(url)
            deadline = time.monotonic() + 30
            while "-first-byte" not in (driver.execute_script("return document.body.className") or ""):
                assert time.monotonic() < deadline, "the review screen never reached the browser through nginx"
                time.sleep(0.2)
            time.sleep(1.0)
            driver.find_element(By.CSS_SELECTOR, "textarea.xterm-helper-textarea").send_keys("a")
            deadline = time.monotonic() + 20
            while not (found := _decisions(db, "dave")):
                assert time.monotonic() < deadline, "no decision of dave in the store"
                time.sleep(0.2)
            assert found == [("accept", TASKS[0]["text"])] and _decisions(db, "mallory") == []
    finally:
        driver.quit()
