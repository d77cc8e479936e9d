"""`annotate serve`: the review screen in web browsers, one process per visitor (the work is in
:mod:`annotate.review.serve`)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ..errors import Errors
from ..store import default_db_path
from ._common import DbOpt
from .app import app


@app.command("serve")
def serve_command(
    inputs: Annotated[list[str] | None, typer.Argument(help="Tasks or raw input to load into the dataset before serving (as for annotate review). Optional.", show_default=False)] = None,
    dataset: Annotated[str, typer.Option("--dataset", "-d", help="Dataset name in the database.")] = ...,  # type: ignore[assignment]
    db: DbOpt = None,
    labels: Annotated[str | None, typer.Option("--labels", help="Labels folder (default: the repository's labels/).")] = None,
    keymap: Annotated[Path | None, typer.Option("--keymap", help="TOML file remapping actions, for every visitor.")] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="Language of raw input (default: detected).")] = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on: keep 127.0.0.1 and put the authenticating proxy in front.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.", min=1, max=65535)] = 8000,
    public_url: Annotated[str | None, typer.Option("--public-url", help="The URL browsers open (the proxy's, e.g. https://annotate.example.org); default http://HOST:PORT.", show_default=False)] = None,
    user_header: Annotated[str, typer.Option("--user-header", help="HTTP header the proxy sets to the logged-in user: each visitor reviews as that annotator.")] = "X-Remote-User",
    adjudicate: Annotated[str | None, typer.Option("--adjudicate", help="Serve the adjudication screen instead, storing final versions into this gold dataset.", show_default=False)] = None,
    overlap: Annotated[int | None, typer.Option("--overlap", help="Teams: each task goes to K visitors (annotators) and no more, as annotate review --overlap.", metavar="K", show_default=False)] = None,
    overlap_share: Annotated[float, typer.Option("--overlap-share", help="With --overlap: the share of tasks (0-1, a stable draw) that go to K annotators; the rest go to one.", metavar="P")] = 1.0,
    auto_accept_agreed: Annotated[bool, typer.Option("--auto-accept-agreed", help="With --adjudicate: merge the tasks everyone agrees on without showing them.")] = False,
) -> None:
    """Serve the review screen to web browsers (textual-serve), one process per visitor.

    Each visitor reviews as the annotator named by the --user-header header (X-Remote-User), which an authenticating reverse proxy sets; a request without it is refused (401).

    annotate keeps no user database: log-in is the proxy's (nginx auth_basic, oauth2-proxy). Needs the optional extra: pip install 'annotate-news\\[serve]'.

    Example:

        annotate serve exports/pre.jsonl --dataset news --port 8000
        annotate serve --dataset news --adjudicate news-gold --public-url https://annotate.example.org
        annotate serve --dataset news --overlap 2
    """
    from ..review.serve import ServeOptions, check_user_header, make_server, prepare
    from ._common import err_console

    check_user_header(user_header)
    from ..store.claims import check_overlap, check_share

    if overlap is not None:
        check_overlap(overlap)
    check_share(overlap_share)
    if overlap is None and overlap_share != 1.0:
        raise Errors.E706()
    if auto_accept_agreed and not adjudicate:
        raise Errors.E733(option="--auto-accept-agreed")
    options = ServeOptions(dataset=dataset, db=(db or default_db_path()).resolve(), labels_path=labels,
                           keymap_path=keymap.resolve() if keymap else None, adjudicate_to=adjudicate,
                           auto_accept_agreed=auto_accept_agreed, overlap=overlap, overlap_share=overlap_share)
    server = make_server(options, host=host, port=port, public_url=public_url, user_header=user_header)
    done = prepare(options, list(inputs or []), lang=lang,
                   on_bad_line=lambda e: print(f"annotate: warning: {e}", file=sys.stderr))
    if inputs:
        err_console.print(f"{dataset}: {done.added} task(s) added, {done.duplicates} already stored")
    err_console.print(f"annotate serve: {dataset} on {server.public_url} (annotator from the {user_header} header)")
    server.serve()
