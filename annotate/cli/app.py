"""The typer application every command module registers on."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="annotate",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    help="Pre-annotate, review and export ORG, MONEY, DATE, PERCENT spans and themes in French and English news.",
    context_settings={"help_option_names": ["-h", "--help"]},
)
