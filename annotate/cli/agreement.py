"""`annotate agreement`: how much the annotators of a dataset agree (the work is :func:`annotate.evaluation.agreement.agreement`)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from ..evaluation.agreement import Agreement, agreement
from ..store import Store
from ._common import DbOpt
from .app import app

DASH = "—"


def _f(x: float | None) -> str:
    return DASH if x is None else f"{x:.3f}"


def format_agreement(res: Agreement, *, worst: int = 10) -> str:
    """The figures as plain text tables."""
    out = [f"dataset {res.dataset}: {res.tasks} task(s) seen by 2 or more annotators counted"
           f" ({res.tasks_single} seen by one only, not counted); annotators: {', '.join(res.annotators) or DASH}"]
    if not res.tasks:
        out.append("nothing to compare: no task has answers from two annotators (route tasks with annotate review --overlap 2)")
        return "\n".join(out)
    s = res.spans
    out.append(f"spans: exact F1 {_f(s['exact_f1'])}  overlap F1 {_f(s['overlap_f1'])}  "
               f"alpha on token labels {_f(s['alpha_tokens'])} ({res.tokens} tokens)")
    if res.labels:
        w = max(5, *(len(k) for k in res.labels))
        out.append(f"  {'label':<{w}}  {'F1':>6}  {'F1~':>6}  {'alpha':>6}  {'spans':>6}")
        for k, v in res.labels.items():
            out.append(f"  {k:<{w}}  {_f(v['exact_f1']):>6}  {_f(v['overlap_f1']):>6}  {_f(v['alpha_tokens']):>6}  {v['spans']:>6}")
    if res.themes:
        w = max(5, *(len(k) for k in res.themes))
        out.append("themes:")
        out.append(f"  {'theme':<{w}}  {'alpha':>6}  {'kappa':>6}  {'on':>6}")
        for k, v in res.themes.items():
            out.append(f"  {k:<{w}}  {_f(v['alpha']):>6}  {_f(v['kappa']):>6}  {v['on']:>6}")
    out.append("annotator pairs:")
    w = max(4, *(len(" / ".join(p["annotators"])) for p in res.pairs))
    out.append(f"  {'pair':<{w}}  {'tasks':>6}  {'F1':>6}  {'F1~':>6}  {'alpha':>6}  {'kappa':>6}")
    for p in res.pairs:
        out.append(f"  {' / '.join(p['annotators']):<{w}}  {p['tasks']:>6}  {_f(p['exact_f1']):>6}  {_f(p['overlap_f1']):>6}"
                   f"  {_f(p['alpha_tokens']):>6}  {_f(p['themes_kappa']):>6}")
    shown = res.documents[:worst] if worst >= 0 else res.documents
    out.append(f"documents, lowest agreement first ({len(shown)} of {len(res.documents)}):")
    out.append(f"  {'agree':>6}  {'F1':>6}  {'F1~':>6}  {'themes':>6}  text")
    for d in shown:
        out.append(f"  {_f(d['agreement']):>6}  {_f(d['spans_exact_f1']):>6}  {_f(d['spans_overlap_f1']):>6}"
                   f"  {_f(d['themes_jaccard']):>6}  {d['text']!r}")
    out.append("F1: exact (start, end, label); F1~: overlap (same label, shared characters, one to one); alpha:"
               " Krippendorff's alpha on token labels (nominal; not unitizing); themes: alpha over tasks and Cohen's"
               " kappa (mean over pairs), document column: Jaccard of the theme sets. Answer reject = no span, no"
               " theme; ignore = not counted.")
    return "\n".join(out)


@app.command("agreement")
def agreement_command(
    dataset: Annotated[str, typer.Argument(help="Dataset name.")],
    db: DbOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (every document) instead of text.")] = False,
    worst: Annotated[int, typer.Option("--worst", help="Documents listed in the text output, lowest agreement first (-1: all).")] = 10,
) -> None:
    """Agreement between the annotators of a dataset: span F1, Krippendorff's alpha, Cohen's kappa.

    Only tasks answered (accept or reject) by two or more annotators count; the
    output says how many. Spans: pairwise F1, exact and overlap, per label and
    micro, and Krippendorff's alpha on token labels (each token one unit, its
    label or O). Themes: Krippendorff's alpha and Cohen's kappa per theme. Per
    annotator pair, per label, and per document, lowest agreement first. An
    annotator's version is their latest decision: accept = the accepted spans
    and themes, reject = no span and no theme, ignore = not counted. Needs the
    optional extra teams (the krippendorff package).

    Example:

        annotate review pre.jsonl --dataset news --annotator alice --overlap 2
        annotate agreement news --db annotate.db
        annotate agreement news --json > agreement.json
    """
    with Store(db, create=False) as store:
        store.require_dataset(dataset)
        res = agreement(store.iter_decisions(dataset), dataset=dataset)
    if as_json:
        data: dict[str, Any] = res.to_dict()
        print(json.dumps(data, ensure_ascii=False, sort_keys=True))
    else:
        print(format_agreement(res, worst=worst))
