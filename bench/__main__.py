"""`python -m bench`: every benchmark in one command; see --help."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
from types import FrameType
from typing import TextIO

from bench.client.measure import Settings
from bench.client.runner import Options, run_transport


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--duration", type=float, default=2.0, help="seconds per measured window (default 2)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per cell; the median is reported (default 3)")
    parser.add_argument("--quick", action="store_true", help="0.5 s windows, 2 rounds: a smoke run (< 60 s)")
    parser.add_argument(
        "--only",
        choices=("transport", "mcp", "endpoint", "daprd", "generation", "answers"),
        help="run one benchmark (default: all)",
    )
    parser.add_argument("--json", metavar="PATH", help="also write raw numbers as JSON to PATH ('-': stdout)")
    parser.add_argument(
        "--python-stand-in", action="store_true", help="use the Python stand-in even when nginx is installed"
    )
    args = parser.parse_args(argv)
    if args.duration <= 0 or args.rounds < 1:
        parser.error("--duration must be > 0 and --rounds >= 1")
    return args


def _run_mcp(say: TextIO) -> int:
    from bench.mcp_latency import main as mcp_main  # imports the MCP SDK: only when asked

    with contextlib.redirect_stdout(say):  # its report joins ours (stderr with --json -)
        return mcp_main([])


def _terminate(signum: int, frame: FrameType | None) -> None:
    # SIGTERM takes the Ctrl-C path, so the `finally` blocks stop nginx and remove temp dirs.
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    signal.signal(signal.SIGTERM, _terminate)
    if args.quick:  # ~40 s of windows + ~5 s of setup, so --quick stays under a minute even when retrying
        settings = Settings(window=0.5, warmup=0.1, rounds=2, retry_share=0.1)
    else:  # re-taking samples disturbed by other processes may add up to a third to the run
        settings = Settings(
            window=args.duration, warmup=min(0.5, args.duration / 4), rounds=args.rounds, retry_share=1 / 3
        )
    # stdout carries the JSON document with --json -, so the human report moves to stderr then.
    say = sys.stderr if args.json == "-" else sys.stdout
    code = 0
    try:
        if args.only in (None, "transport"):
            code = run_transport(Options(settings, args.json, args.python_stand_in), say)
        if args.only in (None, "endpoint"):
            from bench.endpoint.runner import run_endpoint  # renders and serves FastAPI apps: only when asked

            if args.only is None:
                print(file=say)
            code = run_endpoint(settings, say) or code
        if args.only in (None, "daprd"):
            from bench.daprd import run_daprd  # starts daprd and two apps (tests/runtime): only when asked

            if args.only is None:
                print(file=say)
            code = run_daprd(say, quick=args.quick, rounds=args.rounds) or code
        if args.only in (None, "mcp"):
            print(file=say)
            code = _run_mcp(say) or code
        if args.only in (None, "generation"):
            from bench.generation import run_generation  # generates services of 1-100 models: only when asked

            if args.only is None:
                print(file=say)
            code = run_generation(say, runs=3 if args.quick else 7) or code
            from bench.verify import run_verify  # the README's main command with --verify (issue 17)

            print(file=say)
            code = run_verify(say, runs=2 if args.quick else 3) or code
        if args.only in (None, "answers"):
            from bench.answer_sizes import run_answer_sizes  # calls every generator tool: only when asked

            if args.only is None:
                print(file=say)
            code = run_answer_sizes(say) or code
    except KeyboardInterrupt:
        print("\ninterrupted: stand-in stopped, temp dirs removed", file=sys.stderr)
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
