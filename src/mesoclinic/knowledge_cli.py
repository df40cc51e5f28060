"""CLI subcommands for the knowledge base and screening.

``cli.py`` calls ``register(subparsers)``; this module adds::

    mesoclinic knowledge check [--data DIR] [--overlay DIR ...]
    mesoclinic knowledge show ID [--data DIR] [--overlay DIR ...]
    mesoclinic screen [FILE|-] [--today YYYY-MM-DD] [--policy FILE] [--data DIR]
    mesoclinic knowledge recognise TEXT [--kind medicine|condition]

Exit codes: 0 success (``screen`` exits 0 whatever the verdict and prints
the result as JSON), 2 bad input or an invalid knowledge base, with the
reason on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from pydantic import ValidationError

from mesoclinic.core.knowledge import (
    KnowledgeBase,
    KnowledgeError,
    PolicyError,
    load_knowledge,
)
from mesoclinic.core.knowledge.models import entry_dump
from mesoclinic.core.screening import ScreeningInputError, ScreeningRequest, screen

EXIT_OK = 0
EXIT_BAD_INPUT = 2


def register(subparsers: Any) -> None:
    """Add the `knowledge` and `screen` subcommands to an argparse subparsers object.

    Each subcommand sets both ``func`` (what cli.py dispatches on) and
    ``handler`` (what ``main`` here and the tests use) to the same function.
    """
    knowledge = subparsers.add_parser("knowledge", help="validate and inspect the knowledge base")
    ksub = knowledge.add_subparsers(dest="knowledge_command", required=True)
    check = ksub.add_parser("check", help="validate the base; print counts by kind and evidence")
    _add_base_options(check)
    check.set_defaults(handler=knowledge_check, func=knowledge_check)
    show = ksub.add_parser("show", help="print one entry with its resolved sources as JSON")
    show.add_argument("id", help="entry id, e.g. ci.pregnancy")
    _add_base_options(show)
    show.set_defaults(handler=knowledge_show, func=knowledge_show)
    rec = ksub.add_parser(
        "recognise", help="show how typed medicine or condition text is recognised (JSON)"
    )
    rec.add_argument("text", help='typed text, e.g. "Ксарелто 20 мг; аспирин"')
    rec.add_argument("--kind", choices=("medicine", "condition"), default="medicine")
    _add_base_options(rec)
    rec.set_defaults(handler=knowledge_recognise, func=knowledge_recognise)

    scr = subparsers.add_parser("screen", help="screen a planned session (JSON in, JSON out)")
    scr.add_argument("file", nargs="?", default="-", help="request JSON file, or - for stdin")
    scr.add_argument("--today", type=_parse_date, default=None, help="YYYY-MM-DD (default: today)")
    scr.add_argument("--policy", default=None, help="clinic policy JSON file")
    _add_base_options(scr)
    scr.set_defaults(handler=screen_command, func=screen_command)


def _add_base_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", default=None, help="knowledge data directory (default: packaged)")
    parser.add_argument(
        "--overlay", action="append", default=[], help="clinic overlay directory (repeatable)"
    )


def _parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from exc


def _load(args: argparse.Namespace, err: TextIO) -> KnowledgeBase | None:
    try:
        return load_knowledge(args.data, overlays=args.overlay)
    except KnowledgeError as exc:
        print(f"knowledge base invalid: {exc}", file=err)
        return None


def knowledge_check(
    args: argparse.Namespace, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Validate the base and print its version and counts by kind and evidence."""
    out, err = out or sys.stdout, err or sys.stderr
    kb = _load(args, err)
    if kb is None:
        return EXIT_BAD_INPUT
    print(f"knowledge base OK, version {kb.short_version} ({kb.version})", file=out)
    print("entries by kind:", file=out)
    for kind, count in kb.counts_by_kind().items():
        print(f"  {kind:<18} {count:>4}", file=out)
    print("entries by evidence level (strongest first):", file=out)
    for level, count in kb.counts_by_evidence().items():
        print(f"  {level:<18} {count:>4}", file=out)
    return EXIT_OK


def knowledge_show(
    args: argparse.Namespace, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Print one entry as JSON, with its sources resolved to citations."""
    out, err = out or sys.stdout, err or sys.stderr
    kb = _load(args, err)
    if kb is None:
        return EXIT_BAD_INPUT
    try:
        entry = kb.get(args.id)
    except KeyError:
        table = kb.table_of(args.id)
        pool = (
            kb.tables[table] if table else {k: v for t in kb.tables.values() for k, v in t.items()}
        )
        close = sorted(k for k in pool if args.id.split(".")[-1] in k)[:5]
        hint = f"; did you mean: {', '.join(close)}" if close else ""
        print(f"unknown id {args.id!r}{hint}", file=err)
        return EXIT_BAD_INPUT
    data = entry_dump(entry)
    data["file"] = kb.origins.get(args.id)
    if "sources" in data:
        data["sources"] = [
            {"id": s, "evidence": kb.source[s].evidence, "citation": kb.source[s].citation}
            for s in data["sources"]
        ]
    json.dump(data, out, ensure_ascii=False, indent=2)
    print(file=out)
    return EXIT_OK


def knowledge_recognise(
    args: argparse.Namespace, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Print what each part of a typed list is recognised as (exit 1 if any part is not)."""
    from mesoclinic.core.knowledge.lexicon import conditions_find, medicines_find, medicines_split

    out, err = out or sys.stdout, err or sys.stderr
    kb = _load(args, err)
    if kb is None:
        return EXIT_BAD_INPUT
    rows = []
    for part in medicines_split(args.text):
        if args.kind == "medicine":
            found = [
                {"id": m.id, "name": m.name.en, "atc": list(m.atc), "classes": list(m.classes)}
                for m in medicines_find(kb, part)
            ]
        else:
            found = [
                {"id": c, "name": kb.condition[c].name.en, "icd10": list(kb.condition[c].icd10)}
                for c in conditions_find(kb, part)
            ]
        rows.append({"text": part, "recognised": found})
    json.dump(rows, out, ensure_ascii=False, indent=2)
    print(file=out)
    return EXIT_OK if all(r["recognised"] for r in rows) else 1


def screen_command(
    args: argparse.Namespace,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
    stdin: TextIO | None = None,
) -> int:
    """Screen the request in FILE (or stdin) and print the result as JSON."""
    out, err = out or sys.stdout, err or sys.stderr
    try:
        if args.file == "-":
            text = (stdin or sys.stdin).read()
        else:
            text = Path(args.file).read_text(encoding="utf-8")
        request = ScreeningRequest.model_validate_json(text)
        policy = None
        if args.policy:
            policy = json.loads(Path(args.policy).read_text(encoding="utf-8"))
    except OSError as exc:
        print(f"cannot read input: {exc}", file=err)
        return EXIT_BAD_INPUT
    except ValidationError as exc:
        print(_validation_message(exc), file=err)
        return EXIT_BAD_INPUT
    except json.JSONDecodeError as exc:
        print(f"policy is not valid JSON: {exc}", file=err)
        return EXIT_BAD_INPUT
    kb = _load(args, err)
    if kb is None:
        return EXIT_BAD_INPUT
    # The shell reads the clock; the core never does.
    today = args.today or date.today()
    try:
        result = screen(request, kb=kb, today=today, policy=policy)
    except (ScreeningInputError, PolicyError) as exc:
        print(str(exc), file=err)
        return EXIT_BAD_INPUT
    print(result.model_dump_json(indent=2), file=out)
    return EXIT_OK


def _validation_message(exc: ValidationError) -> str:
    lines = ["invalid screening request:"]
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"]) or "(root)"
        lines.append(f"  {where}: {error['msg']}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the subcommands standalone (``python -m mesoclinic.knowledge_cli``)."""
    parser = argparse.ArgumentParser(prog="mesoclinic")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    raise SystemExit(main())
