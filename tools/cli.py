"""`dapr-coder`: the command-line front door. Every generator in the registry is a `generate` subcommand.

Exit codes: 0 ok, 1 internal failure (our defect, or ruff/mypy missing), 2 bad input (message on stderr). `check`
exits 1 when the folder drifted, and `generate` of a tracked generator 1 when it wrote conflict markers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tomllib
from collections.abc import Mapping, Sequence
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
    skill_version,
)
from tools import _json as strict_json
from tools._answer import outline_lines
from tools._files import FilesInTheWay, absolute, write_result
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
    parser.add_argument("--version", action="version", version=f"dapr-coder (async-dapr-coder) {skill_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    ls = sub.add_parser("list", help="list the snippet catalog")
    kinds = sorted({s.kind for s in list_snippets().snippets})
    ls.add_argument("--kind", choices=kinds, help="only snippets of this kind (a generator name)")
    ls.add_argument("--json", action="store_true", help="machine-readable output")
    ls.set_defaults(subparser=ls)

    show = sub.add_parser("show", help="show one snippet: its template and its default rendering")
    show.add_argument("id", help="snippet id, as `list` prints it")
    mode = show.add_mutually_exclusive_group()
    mode.add_argument("--raw", action="store_true", help="only the Jinja template")
    mode.add_argument("--rendered", action="store_true", help="only the default rendering")
    show.add_argument("--json", action="store_true", help="machine-readable output")
    show.set_defaults(subparser=show)

    gen = sub.add_parser("generate", help="render, format and lint code from a spec")
    gens = gen.add_subparsers(dest="generator", required=True, metavar="GENERATOR")
    for g in REGISTRY.values():
        p = gens.add_parser(g.name, help=g.title, description=g.description)
        p.add_argument("--spec", metavar="FILE", help="spec as a JSON or TOML file ('-' reads JSON from stdin)")
        p.add_argument("-o", "--out", type=Path, metavar="DIR", help="write the files here instead of stdout")
        p.add_argument("--force", action="store_true", help="replace files that exist with other content")
        p.add_argument("--json", action="store_true", help="print the structured result as JSON")
        if g.writes_python:  # what --verify checks and --outline shows (components writes none)
            p.add_argument(
                "--verify",
                action="store_true",
                help="with -o: a service: run its tests, mypy and ruff in its folder (uv run, its own "
                "environment); other files: mypy --strict and import them (their requirements installed here)",
            )
            p.add_argument(
                "--outline",
                action="store_true",
                help="print the public API outline (signatures, first docstring lines) instead of the code",
            )
        p.set_defaults(verify=False, outline=False, subparser=p)
        add_spec_options(p, g.spec)

    _add_check(sub)
    _add_run(sub)
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
    add_spec_options(new, REGISTRY["project"].spec, only=("line_length",))
    new.set_defaults(subparser=new)
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
    mcp.set_defaults(subparser=mcp)
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
    spec.update(collect_spec_options(args, REGISTRY["project"].spec))
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
        if result.requirements:  # Dapr resources alone need nothing installed
            print(f"requires: {', '.join(result.requirements)}")
        if (named := _default_name(g, spec, out)) is not None:
            print(f"note: {named}")
        for note in result.notes:
            print(f"note: {note}")
        if args.outline:
            _print_outline(result)
    if args.verify:
        from tools._verify import (  # loaded when asked
            ProjectReport,
            VerifyReport,
            project_folders,
            verify_files,
            verify_projects,
        )

        folders = project_folders(out, [f.path for f in result.files])
        report: ProjectReport | VerifyReport
        if folders:  # a service is checked as its README says: `uv run` its tests, mypy and ruff in its folder
            progress = _progress if sys.stderr.isatty() else None  # a terminal hears of each step as it ends
            if progress is not None:
                print(f"verifying {len(folders)} service folder(s): uv sync, then mypy, pytest, ruff check and "
                      "ruff format in each, in parallel", file=sys.stderr, flush=True)  # fmt: skip
            report = verify_projects(folders, progress=progress)
        else:
            report = verify_files(out, [f.path for f in result.files])
        if report.problems:
            print("\n".join(report.problems), file=sys.stderr)
            return Exit.FAILURE
        print(report.summary(), file=sys.stderr)
    return Exit.FAILURE if update is not None and update.conflicts else Exit.OK


def _default_name(g: Generator, spec: Mapping[str, object], out: Path) -> str | None:
    """Said when a service or project took its default name in a folder named otherwise (`-o orders/` writes the
    todo task API, app id task-api, unless --app-id says otherwise)."""
    field = "app_id" if "app_id" in g.spec.model_fields else "name" if g.tracked else None
    if field is None or field in spec:
        return None
    default = g.spec.model_fields[field].default
    if not isinstance(default, str) or default == out.name:
        return None
    return f"named {default!r} (the default spec: --{field.replace('_', '-')} names it; the folder's name is not used)"


def _progress(step: str, passed: bool, seconds: float) -> None:
    """One line per finished --verify step (called from the worker threads: one write each)."""
    sys.stderr.write(f"  {step}: {'ok' if passed else 'FAILED'} ({seconds:.1f} s)\n")
    sys.stderr.flush()


# `check`: how a tracked folder drifted from its record (.dapr-coder/). Exit 0 clean, 1 drift, 2 bad input.
def _add_check(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    chk = sub.add_parser(
        "check",
        help="report how a generated folder drifted from what was generated",
        description="How a folder written by `new` or `generate service` drifted from its record (.dapr-coder/). "
        "Exit 0: as generated; 1: drifted (the report says how); 2: nothing to check, with one message each for "
        "a missing path, a file, a folder never generated and a folder inside a generated project (check the "
        "project's root).",
    )
    chk.add_argument("dir", type=Path, metavar="DIR", help="a folder a tracked generator wrote")
    chk.add_argument("--spec", metavar="FILE", help="compare against this spec instead of the recorded one")
    chk.add_argument("--json", action="store_true", help="machine-readable output")
    chk.set_defaults(subparser=chk)


def _check(args: argparse.Namespace) -> Exit:
    report = check(absolute(args.dir), spec=None if args.spec is None else _read_spec(args.spec))
    sys.stdout.write(report.model_dump_json(indent=2) + "\n" if args.json else drift_text(report))
    return Exit.OK if report.clean else Exit.FAILURE


# `run`: a generated project's apps with a Dapr stand-in each (tools/standin). Exit 0 stopped / smoke passed, 1 a
# smoke check failed or an app did not come up, 2 bad input.
def _add_run(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = sub.add_parser(
        "run",
        help="run a generated project's apps, each with an in-memory Dapr stand-in (no Dapr, Docker or Redis)",
        description="Starts every service of a generated project (or one service folder) with uvicorn, each with "
        "the sidecar double served on its Dapr port: one broker, the state stores, a scheduler and invocation by "
        "app id, following daprd's delivery, retry and dead-letter rules. A stand-in, not Dapr: the real thing is "
        "`dapr run -f .`. Ctrl-C stops everything.",
    )
    run.add_argument("dir", type=Path, metavar="DIR", help="a project or service folder dapr-coder generated")
    run.add_argument(
        "--python",
        choices=("uv", "current"),
        default="uv",
        help="uv (default): `uv run` in each app's folder, the app's own environment as `dapr run -f .` starts it; "
        "current: this Python, which must have the apps' dependencies",
    )
    run.add_argument("--smoke", action="store_true", help="drive every route, event and job once; exit 0 or 1")
    run.add_argument("--no-page", action="store_true", help="do not serve the live page")
    run.add_argument("--page-port", type=_port, default=None, help="port of the live page on 127.0.0.1 (default: free)")
    run.add_argument(
        "--ready-timeout", type=float, default=180.0, help="seconds an app may take to answer its liveness route"
    )


def _run(args: argparse.Namespace) -> Exit:
    from tools.standin.processes import Console  # the stand-in is only imported when asked for
    from tools.standin.project import RunError, load_plan
    from tools.standin.run import RunOptions, run

    if not args.ready_timeout > 0:
        raise _BadInputError(f"--ready-timeout: must be a positive number of seconds (got {args.ready_timeout})")
    try:
        plan = load_plan(absolute(args.dir))
        options = RunOptions(args.python, not args.no_page, args.page_port or 0, args.ready_timeout)
        console = Console([a.app_id for a in plan.apps])
        then = None
        if args.smoke:
            from tools.standin.smoke import smoke

            then = smoke
        code = asyncio.run(run(plan, options, console, then))
    except RunError as exc:
        raise _BadInputError(str(exc)) from None
    return Exit.OK if code == 0 else Exit.FAILURE


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


_COMMANDS = {
    "generate": _generate,
    "new": _new,
    "check": _check,
    "run": _run,
    "list": _list,
    "show": _show,
    "mcp": _mcp,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # the usage of the subcommand that was given them, not the top level's
        getattr(args, "subparser", parser).error(f"unrecognized arguments: {' '.join(unknown)}")
    try:
        return int(_COMMANDS[args.command](args))
    except (_BadInputError, FilesInTheWay, ManifestError) as exc:  # a broken .dapr-coder record is bad input too
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
