"""`dapr-coder`: the command-line front door. Every generator in the registry is a `generate` subcommand.

Exit codes: 0 ok, 1 internal failure (our defect, or ruff/mypy missing), 2 bad input (message on stderr).
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path

from skill import REGISTRY, SkillError, generate, list_snippets, show_snippet
from tools._files import FilesInTheWay, write_result
from tools._present import Exit, detail_text, exit_code, result_text
from tools._spec_args import add_spec_options, collect_spec_options

__all__ = ["main"]


class _BadInputError(Exception):
    pass


def _read_spec(source: str | None) -> dict[str, object]:
    if source is None:
        return {}
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        raise _BadInputError(f"--spec: cannot read {source}: {exc.strerror}") from exc
    try:
        data = tomllib.loads(text) if source.endswith(".toml") else json.loads(text)
    except ValueError as exc:
        raise _BadInputError(
            f"--spec: {source} is not valid {'TOML' if source.endswith('.toml') else 'JSON'}: {exc}"
        ) from None
    if not isinstance(data, dict):
        raise _BadInputError(f"--spec: {source} must hold an object of spec options")
    return data


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dapr-coder", description="Checked async Python for Dapr, from specs.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    ls = sub.add_parser("list", help="list the snippet catalog")
    kinds = sorted({s.kind for s in list_snippets().snippets})
    ls.add_argument("--kind", choices=kinds, help="only snippets of this kind (a generator name)")
    ls.add_argument("--json", action="store_true", help="machine-readable output")

    show = sub.add_parser("show", help="show one snippet: its template and its default rendering")
    show.add_argument("id", help="snippet id, as `list` prints it")
    mode = show.add_mutually_exclusive_group()
    mode.add_argument("--raw", action="store_true", help="only the Jinja template")
    mode.add_argument("--rendered", action="store_true", help="only the default rendering")
    show.add_argument("--json", action="store_true", help="machine-readable output")

    gen = sub.add_parser("generate", help="render, format and lint code from a spec")
    gens = gen.add_subparsers(dest="generator", required=True, metavar="GENERATOR")
    for g in REGISTRY.values():
        p = gens.add_parser(g.name, help=g.title, description=g.description)
        p.add_argument("--spec", metavar="FILE", help="spec as a JSON or TOML file ('-' reads JSON from stdin)")
        p.add_argument("-o", "--out", type=Path, metavar="DIR", help="write the files here instead of stdout")
        p.add_argument("--force", action="store_true", help="replace files that exist with other content")
        p.add_argument("--verify", action="store_true", help="with -o: also run mypy --strict and import the files")
        p.add_argument("--json", action="store_true", help="print the structured result as JSON")
        add_spec_options(p, g.spec)

    mcp = sub.add_parser("mcp", help="serve the generators as MCP tools (stdio by default)")
    mcp.add_argument("--http", action="store_true", help="serve streamable HTTP instead of stdio")
    mcp.add_argument("--host", default="127.0.0.1", help="HTTP bind address (default 127.0.0.1)")
    mcp.add_argument("--port", type=int, default=8765, help="HTTP port (default 8765)")
    return parser


def _generate(args: argparse.Namespace) -> Exit:
    if args.verify and args.out is None:
        raise _BadInputError("--verify needs -o DIR")
    g = REGISTRY[args.generator]
    spec = {**_read_spec(args.spec), **collect_spec_options(args, g.spec)}
    result = generate(g.name, spec)
    if args.out is None:
        sys.stdout.write(result.model_dump_json(indent=2) + "\n" if args.json else result_text(result))
        return Exit.OK
    try:
        written = write_result(result, args.out, force=args.force)
    except OSError as exc:  # a folder that cannot be made or written: the caller's to fix, before anything is printed
        raise _BadInputError(f"-o: cannot write {exc.filename or args.out}: {exc.strerror or exc}") from exc
    if args.json:
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
    else:
        for f in result.files:
            state = "wrote" if args.out.joinpath(f.path) in written else "unchanged"
            print(f"{state} {args.out / f.path}")
        print(f"requires: {', '.join(result.requirements)}")
        for note in result.notes:
            print(f"note: {note}")
    if args.verify:
        from tools._verify import verify_folder  # mypy is a dev tool: only load it when asked

        problems = verify_folder(args.out)
        if problems:
            print("\n".join(problems), file=sys.stderr)
            return Exit.FAILURE
        print(f"verified: mypy --strict and import of {args.out}", file=sys.stderr)
    return Exit.OK


def _list(args: argparse.Namespace) -> Exit:
    catalog = list_snippets(args.kind)
    if args.json:
        print(catalog.model_dump_json(indent=2))
    else:
        for s in catalog.snippets:
            print(f"{s.id:32} {s.title} — {s.summary}")
    return Exit.OK


def _show(args: argparse.Namespace) -> Exit:
    detail = show_snippet(args.id)
    if args.json:
        print(detail.model_dump_json(indent=2))
    elif args.raw:
        sys.stdout.write(detail.source)
    elif args.rendered:
        sys.stdout.write("".join(f.content for f in detail.rendered))
    else:
        sys.stdout.write(detail_text(detail))
    return Exit.OK


def _mcp(args: argparse.Namespace) -> Exit:
    from tools.mcp_server import serve  # the MCP SDK is only imported when serving

    serve(http=args.http, host=args.host, port=args.port)
    return Exit.OK


_COMMANDS = {"generate": _generate, "list": _list, "show": _show, "mcp": _mcp}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(_COMMANDS[args.command](args))
    except (_BadInputError, FilesInTheWay) as exc:
        print(f"dapr-coder: {exc}", file=sys.stderr)
        return int(Exit.BAD_INPUT)
    except SkillError as exc:
        print(f"dapr-coder: {exc}", file=sys.stderr)
        return int(exit_code(exc))


if __name__ == "__main__":
    sys.exit(main())
