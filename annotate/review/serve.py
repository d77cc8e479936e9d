"""``annotate serve``: the review screen (or the adjudication screen) in web browsers, through textual-serve.

textual-serve runs one process per browser connection (per websocket): here ``python -m
annotate.review.serve_child`` with the dataset, database and labels of the server, which runs the same
:class:`~.app.ReviewApp` over Textual's web driver. The annotator of each visitor is the value of an HTTP header
set by an authenticating reverse proxy (``X-Remote-User`` by default, ``--user-header`` to change it): the proxy
(nginx ``auth_basic``, oauth2-proxy, a company SSO) knows who is logged in, annotate keeps no user database.

Why a header and how it reaches the child: textual-serve's ``Server`` starts every child with the server's own
environment and a fixed command; request headers do not reach it. :class:`AnnotateServer` (a subclass) reads
the header from the websocket's request and starts the child with ``ANNOTATE_ANNOTATOR`` set to it (an
environment variable, never a word of the shell command, so no header value can inject a command). A request
without the header gets ``401`` and a page saying to come through the proxy, before any process starts.

The header is trusted as it comes: the server listens on 127.0.0.1 by default, and must only be reachable
through the proxy, which sets (overwrites) the header on every request.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import shlex
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import AnnotateError, Errors
from ..store import Store
from .keymap import check_keys, read_keymap
from .loader import iter_review_tasks, load_tasks
from .session import ReviewLabels

DEFAULT_USER_HEADER = "X-Remote-User"
_HEADER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*$")
_MAX_NAME = 100
log = logging.getLogger("annotate.serve")


def check_user_header(header: str) -> str:
    if not _HEADER_RE.match(header or ""):
        raise Errors.E735(header=header)
    return header


def annotator_from(value: str | None) -> str | None:
    """The annotator named by a header value, or None when it names nobody (empty, too long, control characters)."""
    name = (value or "").strip()
    if not name or len(name) > _MAX_NAME or any(not ch.isprintable() for ch in name):
        return None
    return name


@dataclass
class ServeOptions:
    """What every visitor's process reviews."""

    dataset: str
    db: Path
    labels_path: str | None = None
    keymap_path: Path | None = None
    adjudicate_to: str | None = None  # --adjudicate -o GOLD
    auto_accept_agreed: bool = False
    overlap: int | None = None  # --overlap K: each task to K visitors (annotators) and no more
    overlap_share: float = 1.0
    python: str = field(default_factory=lambda: sys.executable)

    def command(self) -> str:
        """The shell command textual-serve runs for each visitor (every word quoted)."""
        args = [self.python, "-m", "annotate.review.serve_child", "--dataset", self.dataset, "--db", str(self.db)]
        if self.labels_path:
            args += ["--labels", str(self.labels_path)]
        if self.keymap_path:
            args += ["--keymap", str(self.keymap_path)]
        if self.adjudicate_to:
            args += ["--adjudicate", self.adjudicate_to]
            if self.auto_accept_agreed:
                args.append("--auto-accept-agreed")
        elif self.overlap is not None:
            args += ["--overlap", str(self.overlap), "--overlap-share", repr(float(self.overlap_share))]
        # exec: the visitor's Python replaces the shell, so its parent is the server (serve_child watches it)
        return "exec " + " ".join(shlex.quote(a) for a in args)


@dataclass
class Prepared:
    """What :func:`prepare` did before serving: tasks loaded from the inputs, lines skipped."""

    added: int = 0
    duplicates: int = 0
    bad_lines: list[str] = field(default_factory=list)


def prepare(options: ServeOptions, inputs: list[str], *, lang: str | None = None,
            on_bad_line: Callable[[AnnotateError], None] | None = None) -> Prepared:
    """Check everything a visitor's process needs (labels, keys, the dataset) and load ``inputs`` into the
    dataset, before the server starts: a visitor's process then has nothing left to fail on."""
    labels = ReviewLabels.load(options.labels_path)
    check_keys(read_keymap(options.keymap_path), labels, keymap_path=options.keymap_path,
               labels_path=options.labels_path)
    out = Prepared()
    with Store(options.db, create=bool(inputs)) as store:  # without input: a missing database is an error
        if inputs:
            def bad(e: AnnotateError) -> None:
                out.bad_lines.append(str(e))
                if on_bad_line is not None:
                    on_bad_line(e)

            pre = {"lang": lang, "labels": options.labels_path} if (lang or options.labels_path) else {}
            tasks = iter_review_tasks(inputs, labels, on_error=bad, pre_options=pre)
            try:
                out.added, out.duplicates = load_tasks(store, options.dataset, tasks)
            finally:
                tasks.close()
        store.require_dataset(options.dataset)
        if options.adjudicate_to == options.dataset:
            raise Errors.E731(gold=options.dataset)
    return out


def _textual_serve() -> tuple[Any, Any, Any]:
    try:
        from aiohttp import web
        from textual_serve.app_service import AppService
        from textual_serve.server import Server
    except ImportError as e:
        raise Errors.E734(detail=str(e)) from None
    return web, AppService, Server


def make_server(options: ServeOptions, *, host: str = "127.0.0.1", port: int = 8000, public_url: str | None = None,
                user_header: str = DEFAULT_USER_HEADER, title: str | None = None) -> Any:
    """The textual-serve server for ``options`` (raises E734 without textual-serve, E735 for a bad header name)."""
    check_user_header(user_header)
    web, AppService, Server = _textual_serve()

    class VisitorAppService(AppService):  # type: ignore[misc, valid-type]
        """A visitor's process: the server's environment with ``ANNOTATE_ANNOTATOR`` set to the visitor."""

        def __init__(self, command: str, *, annotator: str, **kwargs: Any) -> None:
            super().__init__(command, **kwargs)
            self.annotator = annotator

        def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
            env = super()._build_environment(width=width, height=height)
            env["ANNOTATE_ANNOTATOR"] = self.annotator
            return env

    class AnnotateServer(Server):  # type: ignore[misc, valid-type]
        """textual-serve's server, with the annotator of each visitor taken from ``user_header``."""

        service_class = VisitorAppService

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.services: set[Any] = set()  # the visitors' processes running now

        async def on_shutdown(self, app: Any) -> None:
            """Stop every visitor's process (each has stored its decisions already) before the server goes."""
            services = list(self.services)
            if services:
                log.info("stopping %d visitor process(es)", len(services))
            await asyncio.gather(*(_stop(s) for s in services), return_exceptions=True)

        def visitor(self, request: Any) -> str | None:
            return annotator_from(request.headers.get(user_header))

        def refuse(self) -> Any:
            return web.Response(
                status=401, content_type="text/plain",
                text=f"annotate serve: no {user_header} header: open this page through the authenticating proxy"
                     " (see the README, 'annotate serve behind a proxy').\n")

        async def handle_index(self, request: Any) -> Any:
            if self.visitor(request) is None:
                return self.refuse()
            return await super().handle_index(request)

        async def handle_websocket(self, request: Any) -> Any:
            """As textual-serve's own, with the visitor's :class:`VisitorAppService`."""
            annotator = self.visitor(request)
            if annotator is None:
                return self.refuse()
            websocket = web.WebSocketResponse(heartbeat=15)
            width = _int(request.query.get("width"), 80)
            height = _int(request.query.get("height"), 24)
            app_service = None
            try:
                await websocket.prepare(request)
                app_service = self.service_class(
                    self.command, annotator=annotator, write_bytes=websocket.send_bytes,
                    write_str=websocket.send_str, close=websocket.close, download_manager=self.download_manager,
                    debug=self.debug)
                log.info("visitor %r: review process started", annotator)
                self.services.add(app_service)
                await app_service.start(width, height)
                try:
                    await self._process_messages(websocket, app_service)
                finally:
                    await app_service.stop()
            except asyncio.CancelledError:
                await websocket.close()
            except Exception as error:  # noqa: BLE001 - one visitor's failure must not stop the server
                log.exception(error)
            finally:
                if app_service is not None:
                    self.services.discard(app_service)
                    await app_service.stop()
            return websocket

    what = f"adjudicate {options.dataset} -> {options.adjudicate_to}" if options.adjudicate_to else options.dataset
    return AnnotateServer(options.command(), host=host, port=port, public_url=public_url,
                          title=title or f"annotate review {what}")


async def _stop(service: Any, timeout: float = 5.0) -> None:
    """Ask a visitor's process to quit; terminate it when it has not within ``timeout`` seconds."""
    try:
        await asyncio.wait_for(service.stop(), timeout)
    except (asyncio.TimeoutError, Exception):  # noqa: BLE001 - the process goes in any case
        proc = getattr(service, "_process", None)
        if proc is not None and proc.returncode is None:
            proc.terminate()


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def serve(options: ServeOptions, **kwargs: Any) -> None:
    """Run the server until Ctrl-C or SIGTERM (``kwargs``: :func:`make_server`'s)."""
    os.environ.pop("ANNOTATE_ANNOTATOR", None)  # a visitor's name only comes from their header
    make_server(options, **kwargs).serve()
