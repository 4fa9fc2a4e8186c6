"""`dapr-coder`: the command-line front door. Every generator in the registry is a `generate` subcommand.

Exit codes: 0 ok, 1 internal failure (our defect, or ruff/mypy missing), 2 bad input (message on stderr). `check`
exits 1 when the folder drifted, and `generate` of a tracked generator 1 when it wrote conflict markers.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path

from skill import (
    PROJECT_PRESETS,
    REGISTRY,
    Generator,
    ManifestError,
    Result,
    SkillError,
    SpecError,
    find_style,
    generate,
    list_snippets,
    show_snippet,
)
from tools import _json as strict_json
from tools._answer import outline_lines
from tools._files import FilesInTheWay, OutsideRootsError, absolute, write_result
from tools._present import Exit, detail_text, exit_code, result_text, spec_error_text
from tools._spec_args import add_spec_options, collect_spec_options
from tools._update import UpdatePlan, check, drift_text, update_folder

__all__ = ["main"]


class _BadInputError(Exception):
    pass


def _read_spec(source: str | None) -> dict[str, object]:
    if source is None:
        return {}
    kind = "TOML" if source.endswith(".toml") else "JSON"
    try:
        raw = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    except OSError as exc:
        raise _BadInputError(f"--spec: cannot read {source}: {exc.strerror}") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _BadInputError(
            f"--spec: {source} must be UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start} is not)"
        ) from None
    try:
        data = tomllib.loads(text) if kind == "TOML" else strict_json.loads(text)
    except strict_json.DuplicateKeyError as exc:
        raise _BadInputError(f"--spec: {source}: {exc}; give each option once") from None
    except ValueError as exc:
        raise _BadInputError(f"--spec: {source} is not valid {kind}: {exc}") from None
    except RecursionError:
        raise _BadInputError(f"--spec: {source} is nested too deeply to be a spec") from None
    if not isinstance(data, dict):
        raise _BadInputError(f"--spec: {source} must hold an object of spec options")
    return data


def _port(text: str) -> int:
    """argparse type for --port: an integer from 1 to 65535 (a bigger one crashed deep in the socket layer)."""
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"must be an integer from 1 to 65535 (got {text[:20]!r})")
    return port


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
        p.add_argument(
            "--outline",
            action="store_true",
            help="print the public API outline (signatures, first docstring lines) instead of the code",
        )
        add_spec_options(p, g.spec)

    _add_check(sub)
    new = sub.add_parser(
        "new",
        help="generate a whole multi-service project into a folder",
        description="The project generator into DIR: a preset (todo-system) or a project spec (--spec FILE). "
        "Files you changed are merged, never lost; handlers.py files are yours.",
    )
    new.add_argument("preset", nargs="?", metavar="PRESET", help=f"a preset: {', '.join(PROJECT_PRESETS)}")
    new.add_argument("dir", nargs="?", type=Path, metavar="DIR", help="the folder to write")
    new.add_argument("--spec", metavar="FILE", help="a project spec as a JSON or TOML file (instead of a preset)")
    new.add_argument("--print-spec", action="store_true", help="print the preset's spec (edit it, then --spec)")
    new.add_argument("--force", action="store_true", help="replace your edits in generated files")
    new.add_argument("--verify", action="store_true", help="then run each service's tests, mypy and ruff in it")
    new.add_argument("--json", action="store_true", help="print the structured result as JSON")
    mcp = sub.add_parser("mcp", help="serve the generators as MCP tools (stdio by default)")
    mcp.add_argument("--http", action="store_true", help="serve streamable HTTP instead of stdio")
    mcp.add_argument("--host", default="127.0.0.1", help="HTTP bind address (default 127.0.0.1)")
    mcp.add_argument("--port", type=_port, default=8765, help="HTTP port, 1-65535 (default 8765)")
    mcp.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow --host to be a non-loopback address (then --allowed-host and/or --auth-token-env is required)",
    )
    mcp.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        metavar="NAME",
        help="a Host header value clients may use (NAME, NAME:PORT or NAME:*); repeatable",
    )
    mcp.add_argument(
        "--auth-token-env",
        metavar="VAR",
        help="require 'Authorization: Bearer <token>', the token read from environment variable VAR (never argv)",
    )
    return parser


def _generate(args: argparse.Namespace) -> Exit:
    g = REGISTRY[args.generator]
    return _emit(g, {**_read_spec(args.spec), **collect_spec_options(args, g.spec)}, args)


def _new(args: argparse.Namespace) -> Exit:
    """`new PRESET DIR` or `new --spec FILE DIR`: the project generator, into a folder (which is the point)."""
    preset: str | None = args.preset
    if preset is not None and preset not in PROJECT_PRESETS:
        if args.dir is None and args.spec is not None:  # `new --spec FILE DIR`: argparse filled PRESET first
            args.dir = Path(preset)
            preset = None
        else:
            raise _BadInputError(f"{preset!r} is not a preset; known presets: {', '.join(PROJECT_PRESETS)}")
    if args.print_spec:
        if preset is None:
            raise _BadInputError("--print-spec prints a preset's spec: name one (new todo-system --print-spec)")
        sys.stdout.write(json.dumps(PROJECT_PRESETS[preset], indent=2) + "\n")
        return Exit.OK
    if (preset is None) == (args.spec is None):
        raise _BadInputError("give a preset or --spec FILE (not both): new todo-system DIR, new --spec FILE DIR")
    if args.dir is None:
        raise _BadInputError("name the folder to write: new todo-system DIR")
    spec = dict(PROJECT_PRESETS[preset]) if preset is not None else _read_spec(args.spec)
    args.out, args.outline = args.dir, False
    return _emit(REGISTRY["project"], spec, args)


def _emit(g: Generator, spec: dict[str, object], args: argparse.Namespace) -> Exit:
    if args.verify and args.out is None:
        raise _BadInputError("--verify needs -o DIR")
    # Written into a folder, Python takes that project's own layout settings (its nearest ruff configuration).
    result = generate(g.name, spec, style=None if args.out is None else find_style(absolute(args.out)))
    if args.outline and args.json:
        raise _BadInputError("--outline and --json: choose one")
    if args.out is None:
        if args.outline:
            _print_outline(result)
        else:
            sys.stdout.write(result.model_dump_json(indent=2) + "\n" if args.json else result_text(result))
        return Exit.OK
    out = absolute(args.out)  # printed paths are absolute: a relative -o reads wrong from another directory
    update: UpdatePlan | None = None
    try:
        if g.tracked:  # its folder carries a record: edits are merged, never lost (tools/_update.py)
            update = update_folder(out, result, g, spec, force=args.force)
        written = [] if update is not None else write_result(result, out, force=args.force)
    except OSError as exc:  # a folder that cannot be made or written: the caller's to fix, before anything is printed
        raise _BadInputError(f"-o: cannot write {exc.filename or out}: {exc.strerror or exc}") from exc
    if update is not None:
        print("\n".join(update.lines()), file=sys.stderr if args.json else sys.stdout)
        if update.conflicts:
            print(f"dapr-coder: {len(update.conflicts)} file(s) need you (see 'conflict' above)", file=sys.stderr)
    if args.json:
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
    else:
        for f in result.files if update is None else ():
            path = out.joinpath(f.path)
            print(f"{'wrote' if path in written else 'unchanged'} {path}")
        print(f"requires: {', '.join(result.requirements)}")
        for note in result.notes:
            print(f"note: {note}")
        if args.outline:
            _print_outline(result)
    if args.verify:
        from tools._verify import project_folders, verify_files, verify_projects  # dev tools: loaded when asked

        folders = project_folders(out, [f.path for f in result.files])
        # A project folder (a service) is checked as its README says: its own tests, mypy and ruff in it.
        report = verify_projects(folders) if folders else verify_files(out, [f.path for f in result.files])
        if report.problems:
            print("\n".join(report.problems), file=sys.stderr)
            return Exit.FAILURE
        print(report.summary(), file=sys.stderr)
    return Exit.FAILURE if update is not None and update.conflicts else Exit.OK


# `check`: how a tracked folder drifted from its record (.dapr-coder/). Exit 0 clean, 1 drift, 2 bad input.
def _add_check(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    chk = sub.add_parser("check", help="report how a generated folder drifted from what was generated")
    chk.add_argument("dir", type=Path, metavar="DIR", help="a folder a tracked generator wrote")
    chk.add_argument("--spec", metavar="FILE", help="compare against this spec instead of the recorded one")
    chk.add_argument("--json", action="store_true", help="machine-readable output")


def _check(args: argparse.Namespace) -> Exit:
    report = check(absolute(args.dir), spec=None if args.spec is None else _read_spec(args.spec))
    sys.stdout.write(report.model_dump_json(indent=2) + "\n" if args.json else drift_text(report))
    return Exit.OK if report.clean else Exit.FAILURE


def _print_outline(result: Result) -> None:
    """The outline the MCP tools answer with, at full detail (a terminal has no answer budget)."""
    lines = outline_lines(result)
    print("\n".join(["API outline:", *lines]) if lines else "API outline: no Python files")


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
    if not args.http and (args.allow_remote or args.allowed_host or args.auth_token_env):
        raise _BadInputError("--allow-remote, --allowed-host and --auth-token-env only apply with --http")
    token = None
    if args.auth_token_env is not None:
        token = os.environ.get(args.auth_token_env)
        if not token:
            raise _BadInputError(
                f"--auth-token-env: environment variable {args.auth_token_env[:80]} is not set or empty"
            )
    from tools._http import HttpOptionError  # the MCP SDK is only imported when serving
    from tools.mcp_server import serve

    try:
        serve(
            http=args.http,
            host=args.host,
            port=args.port,
            allow_remote=args.allow_remote,
            allowed_hosts=args.allowed_host,
            auth_token=token,
            auth_token_env=args.auth_token_env,
        )
    except HttpOptionError as exc:  # raised before anything is served or logged
        raise _BadInputError(str(exc)) from None
    return Exit.OK


_COMMANDS = {"generate": _generate, "new": _new, "check": _check, "list": _list, "show": _show, "mcp": _mcp}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(_COMMANDS[args.command](args))
    # A broken .dapr-coder record, or a symlink out of the folder, is bad input too.
    except (_BadInputError, FilesInTheWay, ManifestError, OutsideRootsError) as exc:
        print(f"dapr-coder: {exc}", file=sys.stderr)
        return int(Exit.BAD_INPUT)
    except SpecError as exc:
        print(f"dapr-coder: {spec_error_text(exc)}", file=sys.stderr)
        return int(exit_code(exc))
    except SkillError as exc:
        print(f"dapr-coder: {exc}", file=sys.stderr)
        return int(exit_code(exc))


if __name__ == "__main__":
    sys.exit(main())
