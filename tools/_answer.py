"""What a generator tool answers: sized for an agent's context, not for a file system.

Written to a folder, the answer names each file (absolute path, lines, sha256), the requirements, the notes, the
checks and the outline of the public API, within the generator's budget (`written_budget`; text and structured
content each). Inline, it carries each file's content once, in the text; past `INLINE_BUDGET` characters it carries
the outline and one resource link per file instead.

The outline is what an agent calls the code by, so it keeps its detail longest, and it gives way file by file
(`_degrade`): test modules first, then the largest module (the generic client) before the small ones an agent calls
into (handlers, routers), each one level at a time (full signatures, short ones, shorter docstrings, parameter names
without docstrings, methods by name, names only); a file identical to an earlier one is named with it. At each step
the file list gives way first: absolute paths, then the folder named once and paths relative to it, then (past
`_MANY_FILES`) the Python files and those that need the user listed one by one and the rest counted per folder. Only
when no step fits that way are just the files that need the user listed (the outline still names every Python file),
and last, long notes cut.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import json
import os
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from types import MappingProxyType

from pydantic import BaseModel, ConfigDict, Field

from skill import CLIENT_CLASS, CLIENT_MODULE, FileOutline, Result, Symbol, outline, parse_python

__all__ = [
    "INLINE_BUDGET",
    "RESULT_URI_PREFIX",
    "WRITTEN_BUDGET",
    "Answer",
    "ResultStore",
    "inline_answer",
    "outline_lines",
    "written_answer",
    "written_budget",
]

# Characters of text, and of structured content, in a written answer. The client's 6,500 is the unit: one module
# of ~2,000 lines whose outline is most of the answer; models, endpoint and components stay within it too. (It was
# 6,000 until insert_state/update_state joined the client: with them, an output path of 60 characters or more made
# the outline fall back to method names without parameters.)
WRITTEN_BUDGET = 6_500
WRITTEN_BUDGETS: Mapping[str, int] = MappingProxyType(
    {
        # A service embeds the client (its outline: the 6,500 above) and adds ~25 files (routers, settings,
        # tests, manifests) that still fit one by one (~110 characters each), and the calls its handlers can make.
        "service": 10_000,
        # The todo system: three services and shared resources, ~70 files; summarized per folder.
        "project": 12_000,
    }
)
INLINE_BUDGET = 40_000
RESULT_URI_PREFIX = "dapr-results://"
_LEVELS = 7
# Past this many files, listing each (~110 characters of text, ~170 of JSON) costs more than outline detail.
_MANY_FILES = 20
# Statuses of a tracked update that need the user (or the agent): always listed one by one.
_ATTENTION = frozenset({"conflict", "kept", "merged", "stays deleted"})
_SHORT_NOTE = 240  # characters of a note, at the last level


def written_budget(kind: str) -> int:
    """The budget of a written answer of generator `kind` (see `WRITTEN_BUDGETS`)."""
    return WRITTEN_BUDGETS.get(kind, WRITTEN_BUDGET)


class FileEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    path: str = Field(description="Absolute once written (unless `folder` is given); else relative to the folder.")
    language: str
    lines: int
    sha256: str
    # "wrote" or "unchanged"; a tracked generator's folder says what its update did instead (tools/_update.py
    # Action: "created", "updated", "merged", "conflict", ...). A plain string keeps the tool list short.
    status: str | None = None
    resource: str | None = Field(default=None, description="URI to read it from (resources/read) when it is not.")


class Verified(BaseModel):
    """The destination's own checks, run after writing (`verify: true`), reported compactly."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    passed: bool
    ran: list[str] = Field(description="What ran and passed, one line each.")
    problems: list[str] = Field(default_factory=list, description="What failed: each check's output, cut.")


class Answer(BaseModel):
    """A generator tool's answer."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: str
    folder: str | None = Field(default=None, description="Absolute folder the relative file paths are under.")
    files: list[FileEntry]
    requirements: list[str]
    notes: list[str]
    checks: str
    outline: list[str] = Field(description="Public API, one line per symbol; files named by path.")
    others: list[str] | None = Field(default=None, description="Files not in `files`, per folder.")
    verify: Verified | None = Field(default=None, description="What `verify: true` ran on the written files.")


VERIFY_PROBLEM_CHARS = 1500  # the tail of one failed check's output (pytest and mypy put the summary last)
VERIFY_CHARS = 6000  # all problems together


def verified(ran: Sequence[str], problems: Sequence[str]) -> Verified:
    """A compact report: each problem cut to its last lines, and only as many as fit VERIFY_CHARS."""
    kept: list[str] = []
    used = 0
    for p in problems:
        head, _, body = p.partition("\n")
        cut = body if len(body) <= VERIFY_PROBLEM_CHARS else "..." + body[-VERIFY_PROBLEM_CHARS:]
        line = f"{head}\n{cut}" if body else head
        if used + len(line) > VERIFY_CHARS:
            kept.append(f"... and {len(problems) - len(kept)} more problem(s)")
            break
        kept.append(line)
        used += len(line)
    return Verified(passed=not problems, ran=list(ran), problems=kept)


def verify_text(v: Verified) -> str:
    if v.passed:
        return "verify: passed\n" + "".join(f"  {line}\n" for line in v.ran)
    return "verify: FAILED (the files are written; fix them or the spec)\n" + "\n".join(v.problems) + "\n"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _lines(text: str) -> int:
    return text.count("\n") + (0 if text.endswith("\n") or not text else 1)


def _checks(result: Result) -> str:
    names = list(dict.fromkeys(c for f in result.files for c in f.checks))
    return f"{', '.join(names)} ({result.lint.ruff_version}): {result.lint.status}"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


# Pure functions of a signature's text, and the same methods recur in every answer about a client or a service:
# parsing each again was most of what building an answer cost.
@functools.lru_cache(maxsize=4096)
def _compact_signature(signature: str, *, typed: bool) -> str:
    """`signature` with each parameter that has a default reduced to its name (`etag=...`, or `etag=` untyped),
    and, unless `typed`, the other parameters' types left out; the return type stays."""
    try:
        fn = parse_python(f"def f{signature}: pass").body[0]  # under the engine's lock: tools run in threads
    except SyntaxError:
        return signature
    assert isinstance(fn, ast.FunctionDef)
    args = fn.args
    optional = "=..." if typed else "="

    def plain(a: ast.arg) -> str:
        return ast.unparse(a) if typed else a.arg

    positional = [*args.posonlyargs, *args.args]
    first_default = len(positional) - len(args.defaults)
    parts = []
    for i, a in enumerate(positional):
        parts.append(f"{a.arg}{optional}" if i >= first_default else plain(a))
        if args.posonlyargs and i == len(args.posonlyargs) - 1:
            parts.append("/")
    if args.vararg is not None:
        parts.append(f"*{args.vararg.arg}")
    elif args.kwonlyargs:
        parts.append("*")
    for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        parts.append(f"{a.arg}{optional}" if d is not None else plain(a))
    if args.kwarg is not None:
        parts.append(f"**{args.kwarg.arg}")
    returns = f" -> {ast.unparse(fn.returns)}" if fn.returns is not None else ""
    return f"({', '.join(parts)}){returns}"


def _short_signature(signature: str) -> str:
    """Parameters with a default keep only their name (`etag=...`): what a call needs, in a third of the room."""
    return _compact_signature(signature, typed=True)


def _names_signature(signature: str) -> str:
    """Parameter names only (`name=` where there is a default) and the return type, for a class of many methods."""
    return _compact_signature(signature, typed=False)


@functools.lru_cache(maxsize=4096)
def _field_type(signature: str) -> str:
    """`: Annotated[T, Field(...)]` as `: T`: the type is what a caller needs; the constraints are in the code."""
    try:
        statement = parse_python(f"x{signature}").body[0]
    except SyntaxError:
        return signature
    if not isinstance(statement, ast.AnnAssign):
        return signature
    node = statement.annotation
    if isinstance(node, ast.Subscript) and ast.unparse(node.value) in ("Annotated", "typing.Annotated"):
        inner = node.slice.elts[0] if isinstance(node.slice, ast.Tuple) else node.slice
        return f": {ast.unparse(inner)}"
    return signature


def _symbol_line(s: Symbol, level: int) -> str:
    short = s.name.rpartition(".")[2]
    prefix = "  " if "." in s.name else ""
    if s.kind in ("method", "async method", "function", "async function"):
        sig = (
            s.signature if level == 0 else _short_signature(s.signature) if level < 4 else _names_signature(s.signature)
        )
        head = f"{prefix}{'async ' if s.kind.startswith('async') else ''}{short}{sig}"
    elif s.kind == "property":
        head = f"{prefix}{short}{s.signature} (property)"
    else:
        head = f"{prefix}{s.kind} {short}{s.signature}"
    doc_room = (0, 100, 100, 60, 0, 0)[level] if s.kind != "class" else (0, 100, 100, 60, 0, 60)[level]
    if level == 0:
        doc_room = 200
    return f"{head} - {_cut(s.doc, doc_room)}" if s.doc and doc_room else head


def _file_lines(fo: FileOutline, level: int) -> list[str]:
    name = PurePosixPath(fo.path).name
    if level >= 5 and name.startswith("test_"):  # pytest runs them; nobody calls them by name
        tests = sum(1 for s in fo.symbols if s.name.rpartition(".")[2].startswith("test_"))
        return [f"{fo.path}: {tests} tests"]
    if level >= 6:  # the public names only, one line per file
        names = [s.name for s in fo.symbols if "." not in s.name]
        return [f"{fo.path}: {', '.join(names)}"] if names else []
    lines = [f"{fo.path}: {_cut(fo.module_doc, 100)}" if fo.module_doc else f"{fo.path}:"]
    symbols = fo.symbols
    i = 0
    while i < len(symbols):
        s = symbols[i]
        if s.kind == "field":  # a dataclass's (or model's) fields, grouped on one line
            group = []
            while i < len(symbols) and symbols[i].kind == "field":
                group.append(symbols[i])
                i += 1
            if level >= 2:
                lines.append("  fields: " + ", ".join(g.name.rpartition(".")[2] for g in group))
            else:
                lines.append(
                    "  fields: " + ", ".join(f"{g.name.rpartition('.')[2]}{_field_type(g.signature)}" for g in group)
                )
            continue
        if level >= 5 and "." in s.name:  # methods by name only, on one line per class
            methods: list[str] = []
            while i < len(symbols) and "." in symbols[i].name and symbols[i].kind != "field":
                methods.append(symbols[i].name.rpartition(".")[2])
                i += 1
            lines.append("  methods: " + ", ".join(methods))
            continue
        lines.append(_symbol_line(s, level))
        i += 1
    return lines


@functools.lru_cache(maxsize=64)
def _outlines(python: tuple[tuple[str, str], ...]) -> tuple[FileOutline, ...]:
    """Parsed once per set of files: every level of compactness, and every repeat of a cached result, reads it."""
    return tuple(outline(python))


def _file_outlines(result: Result) -> Sequence[FileOutline]:
    """The engine read them while checking; a result rebuilt from JSON has none and is parsed here instead."""
    python = [f for f in result.files if f.language == "python"]
    if all(f.outline is not None for f in python):
        return [f.outline for f in python if f.outline is not None]
    return _outlines(tuple((f.path, f.content) for f in python))


def outline_lines(result: Result, level: int = 0) -> list[str]:
    """The public API of the Python files, one line per symbol (fields grouped), at a level of compactness 0-6."""
    return [line for fo in _file_outlines(result) for line in _file_lines(fo, level)]


@dataclass(frozen=True)
class _FileOutlines:
    """One Python file's outline at every level, with what each costs in the text and in the JSON."""

    levels: tuple[tuple[str, ...], ...]
    text: tuple[int, ...]
    json: tuple[int, ...]
    test: bool  # a test module (or its fixtures, or the fake sidecar): run by pytest, not called by the agent
    kept: bool = False  # what the agent writes against (handlers.py, the models): the last to lose detail

    @classmethod
    def of(cls, path: str, levels: Sequence[Sequence[str]], *, kept: bool = False) -> _FileOutlines:
        parts = PurePosixPath(path).parts
        return cls(
            tuple(tuple(lines) for lines in levels),
            tuple(sum(len(line) + 1 for line in lines) for lines in levels),
            tuple(sum(len(json.dumps(line)) + 1 for line in lines) for lines in levels),
            "tests" in parts[:-1] or parts[-1].startswith("test_") or parts[-1] == "conftest.py",
            kept,
        )


# What handlers.py is given (the client) and what its tests drive (the fake): a service's answer lists their calls
# with parameter names, however compact the files' outlines become, so that an agent writes handlers without
# reading the 1,200-line modules. Lifecycle methods are the app's, not the handlers'.
_CLIENT_SUFFIX = f"/{CLIENT_MODULE}.py"
_FAKE_PATH = "tests/fake_dapr.py"
_FAKE_CLASS = "FakeDapr"
_NOT_FOR_HANDLERS = frozenset({"close", "aclose", "shutdown", "check_health", "wait_for_sidecar", "http_client"})


def _calls(fo: FileOutline, cls: str, receiver: str) -> list[str]:
    found = []
    for s in fo.symbols:
        owner, _, name = s.name.rpartition(".")
        public = not name.startswith("_") and name not in _NOT_FOR_HANDLERS
        if owner == cls and s.kind in ("method", "async method") and public:
            awaited = "await " if s.kind == "async method" else ""
            found.append(f"{awaited}{receiver}.{name}{_names_signature(s.signature)}")
    return found


def _fake_attributes(source: str) -> list[str]:
    """The fake's public attributes (set in its __init__ with a type): what a test inspects."""
    tree = parse_python(source)
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == _FAKE_CLASS:
            for stmt in ast.walk(node):
                if (
                    isinstance(stmt, ast.AnnAssign)
                    and isinstance(stmt.target, ast.Attribute)
                    and isinstance(stmt.target.value, ast.Name)
                    and stmt.target.value.id == "self"
                    and not stmt.target.attr.startswith("_")
                ):
                    found.append(f"{stmt.target.attr}: {ast.unparse(stmt.annotation)}")
    return found


def _handler_api(result: Result, outlines: Sequence[FileOutline]) -> list[str]:
    """The client calls a service's handlers can make and the fake's API for their tests (one service only: a
    project's services each have theirs, named in their own outlines)."""
    clients = [fo for fo in outlines if fo.path.endswith(_CLIENT_SUFFIX)]
    fakes = [fo for fo in outlines if fo.path == _FAKE_PATH]
    if result.kind != "service" or len(clients) != 1:
        return []
    lines = [f"handlers' client ({clients[0].path} {CLIENT_CLASS}, passed to each handler as `dapr`):"]
    lines += [f"  {line}" for line in _calls(clients[0], CLIENT_CLASS, "dapr")]
    if fakes:
        source = next(f.content for f in result.files if f.path == _FAKE_PATH)
        lines.append(f"tests' in-memory sidecar ({_FAKE_PATH} {_FAKE_CLASS}, the `fake` fixture):")
        lines += [f"  {line}" for line in _calls(fakes[0], _FAKE_CLASS, "fake")]
        lines.append("  attributes: " + ", ".join(_fake_attributes(source)))
    return lines


def _per_file_outlines(result: Result) -> list[_FileOutlines]:
    """Each Python file's outline at every level; a file identical to an earlier one (a service's events or health
    module, copied into each service of a project) is named with it instead of outlined again. A service's answer
    starts with the calls its handlers can make (`_handler_api`), at every level."""
    digests = {f.path: sha256(f.content) for f in result.files}
    first: dict[str, str] = {}
    api = _handler_api(result, _file_outlines(result))
    found = [_FileOutlines.of("handlers-api", [api] * _LEVELS)] if api else []
    for fo in _file_outlines(result):
        earlier = first.setdefault(digests.get(fo.path, fo.path), fo.path)
        if earlier != fo.path:
            found.append(_FileOutlines.of(fo.path, [[f"{fo.path}: same as {earlier}"]] * _LEVELS))
        else:
            kept = fo.path.endswith("/handlers.py") or any(sym.name == "CloudEvent" for sym in fo.symbols)
            found.append(_FileOutlines.of(fo.path, [_file_lines(fo, level) for level in range(_LEVELS)], kept=kept))
    return found


def _degrade(files: list[_FileOutlines]) -> Iterator[list[int]]:
    """Per-file outline levels, most detailed first: each step makes the test module, else the module, whose
    outline is now the largest more compact, so tests (run, not called) shrink first, then the big library modules
    (the client) before the small modules an agent calls into (routers), and the modules it writes against
    (handlers.py, the models) last."""

    def smaller(f: _FileOutlines, level: int) -> int | None:  # the next level that saves room, if any
        return next((k for k in range(level + 1, _LEVELS) if f.text[k] < f.text[level]), None)

    levels = [0] * len(files)
    yield list(levels)
    while True:
        shrinkable = [i for i, f in enumerate(files) if smaller(f, levels[i]) is not None]
        if not shrinkable:
            return
        i = max(shrinkable, key=lambda k: (files[k].test, not files[k].kept, files[k].text[levels[k]]))
        levels[i] = smaller(files[i], levels[i]) or levels[i]
        yield list(levels)


def _text(answer: Answer, *, heading: str) -> str:
    parts = [heading] + ([f"in {answer.folder}:"] if answer.folder else [])
    for f in answer.files:
        where = f.resource or f.path
        state = f"{f.status} " if f.status else ""
        parts.append(f"{state}{where} ({f.lines} lines, sha256 {f.sha256})")
    if answer.others:
        parts += ["other files, per folder:", *(f"  {line}" for line in answer.others)]
    if answer.requirements:
        parts.append(f"requires: {', '.join(answer.requirements)}")
    parts += [f"note: {n}" for n in answer.notes]
    parts.append(f"checked: {answer.checks}")
    if answer.outline:
        parts += ["", "API outline:", *answer.outline]
    return "\n".join(parts) + "\n"


def _json_size(answer: Answer) -> int:
    """The structured content as sent (no nulls), non-ASCII counted escaped (as JSON text may carry it)."""
    return len(json.dumps(answer.model_dump(mode="json", exclude_none=True), separators=(",", ":")))


def _fits(answer: Answer, text: str, budget: int) -> bool:
    return len(text) <= budget and _json_size(answer) <= budget


def _status(done: bool | str) -> str:
    return done if isinstance(done, str) else "wrote" if done else "unchanged"


def written_answer(
    result: Result, written: dict[str, tuple[str, bool | str]], *, verify: Verified | None = None
) -> tuple[Answer, str]:
    """`written`: relative path -> (absolute path, whether it was (re)written or what a tracked update did).
    `verify`: the checks run on the written files, reported first, within the same budget."""
    files = [
        FileEntry(
            path=written[f.path][0],
            language=f.language,
            lines=_lines(f.content),
            sha256=sha256(f.content),
            status=_status(written[f.path][1]),
        )
        for f in result.files
    ]
    heading = f"{result.kind}: {len(files)} file(s) written; read the outline to call the code."
    conflicts = sum(f.status == "conflict" for f in files)
    if conflicts:  # said first: the files do not parse until the user (or the agent) resolves them
        heading = (
            f"{result.kind}: {conflicts} file(s) (status conflict) need you: conflict markers where your edits and "
            "the new render overlap (<<<<<<< yours, ||||||| generated before, =======, >>>>>>> generated now; edit "
            "each to one version and delete the markers), or, in a file of yours, definitions the new code calls "
            f"or names it imports that the new code no longer defines (the notes list them). {heading}"
        )
    first, last = _listings(result, files)
    if verify is None:
        return _fit_outlined(result, first, last, heading, written_budget(result.kind))
    report = verify_text(verify)
    room = written_budget(result.kind) - max(len(report), len(verify.model_dump_json()) + len('"verify":,'))
    answer, text = _fit_outlined(result, first, last, heading, room)
    return answer.model_copy(update={"verify": verify}), f"{report}{text}"


def _listings(result: Result, files: list[FileEntry]) -> tuple[list[Answer], list[Answer]]:
    """The answers without their outline, most detailed file list first: those tried at each outline step, and,
    for many files, those tried only once the outline is as compact as it gets with them (see the module doc)."""
    first = [_answer(result, files, [])]
    if not files:
        return first, []
    # Many files under a long folder: name the folder once, each file relative to it (by name at least).
    common = os.path.commonpath([os.path.dirname(f.path) for f in files])
    relative = [f.model_copy(update={"path": os.path.relpath(f.path, common)}) for f in files]
    first.append(_answer(result, relative, []).model_copy(update={"folder": common}))
    if len(files) <= _MANY_FILES:
        return first, []
    routine = Counter(f.status for f in files).most_common(1)[0][0]
    needs_you = [f.status in _ATTENTION or f.status != routine for f in files]
    python = [n or f.language == "python" for f, n in zip(files, needs_you, strict=True)]
    first.append(_summarized(result, relative, python, common))
    last = _summarized(result, relative, needs_you, common)
    short = last.model_copy(update={"notes": [_cut(n, _SHORT_NOTE) for n in result.notes]})
    return first, [last, short]


def _fit_outlined(
    result: Result, first: list[Answer], last: list[Answer], heading: str, budget: int
) -> tuple[Answer, str]:
    """The most detailed answer within `budget`: each of `first` (no outline yet) at each outline step, then each
    of `last` at each step. Sizes are added up per step (cheap); only a candidate that adds up is built and
    measured. None fits: the last candidate, as compact as it gets."""
    outlines = _per_file_outlines(result)
    bare = [(a, len(_text(a, heading=heading)), _json_size(a)) for a in [*first, *last]]
    steps = list(_degrade(outlines))

    def lines_at(levels: list[int]) -> list[str]:
        return [line for f, level in zip(outlines, levels, strict=True) for line in f.levels[level]]

    def attempt(candidates: Sequence[tuple[Answer, int, int]], levels: list[int]) -> tuple[Answer, str] | None:
        text_cost = sum(f.text[level] for f, level in zip(outlines, levels, strict=True))
        json_cost = sum(f.json[level] for f, level in zip(outlines, levels, strict=True))
        for answer, text_size, json_size in candidates:
            if text_size + len("\nAPI outline:\n") + text_cost <= budget and json_size + json_cost <= budget:
                full = answer.model_copy(update={"outline": lines_at(levels)})
                text = _text(full, heading=heading)
                if _fits(full, text, budget):
                    return full, text
        return None

    for levels in steps:
        found = attempt(bare[: len(first)], levels)
        if found is not None:
            return found
    for candidate in bare[len(first) :]:
        for levels in steps:
            found = attempt([candidate], levels)
            if found is not None:
                return found
    fallback = bare[-1][0].model_copy(update={"outline": lines_at(steps[-1])})
    return fallback, _text(fallback, heading=heading)


def _summarized(result: Result, files: list[FileEntry], listed: list[bool], folder: str) -> Answer:
    """An answer (no outline yet) that lists the `listed` files one by one and the others per folder."""
    kept = [f for f, keep in zip(files, listed, strict=True) if keep]
    rest = [f for f, keep in zip(files, listed, strict=True) if not keep]
    answer = _answer(result, kept, [])
    return answer.model_copy(update={"folder": folder, "others": _per_folder(rest) or None})


def _per_folder(files: list[FileEntry]) -> list[str]:
    """One line per folder: how many files, of which languages, how many lines, with which statuses."""
    groups: dict[str, list[FileEntry]] = {}
    for f in files:
        groups.setdefault(os.path.dirname(f.path) or ".", []).append(f)
    lines = []
    for where, group in groups.items():
        languages = Counter(f.language for f in group)
        statuses = Counter(f.status or "" for f in group)
        said = ", ".join(s if len(statuses) == 1 else f"{s} {n}" for s, n in statuses.items() if s)
        lines.append(
            f"{where}/: {len(group)} file(s) ({', '.join(f'{n} {lang}' for lang, n in languages.items())}), "
            f"{sum(f.lines for f in group)} lines" + (f", {said}" if said else "")
        )
    return lines


def _answer(result: Result, files: list[FileEntry], outline: list[str]) -> Answer:
    return Answer(
        kind=result.kind,
        files=files,
        requirements=result.requirements,
        notes=result.notes,
        checks=_checks(result),
        outline=outline,
    )


class ResultStore:
    """Generated files too big to answer inline, readable as `dapr-results://<sha256>/<path>` until evicted (the
    last `size` files)."""

    def __init__(self, size: int = 256) -> None:
        self._size = size
        self._items: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, path: str, text: str) -> str:
        uri = f"{RESULT_URI_PREFIX}{sha256(text)}/{path}"
        with self._lock:
            self._items[uri] = text
            self._items.move_to_end(uri)
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return uri

    def get(self, uri: str) -> str | None:
        with self._lock:
            return self._items.get(uri)


def inline_answer(result: Result, store: ResultStore) -> tuple[Answer, str]:
    """Each file's content once, in the text (structured content names them); past INLINE_BUDGET, the outline
    and a resource link per file."""
    entries = [
        FileEntry(path=f.path, language=f.language, lines=_lines(f.content), sha256=sha256(f.content))
        for f in result.files
    ]
    answer = Answer(
        kind=result.kind,
        files=entries,
        requirements=result.requirements,
        notes=result.notes,
        checks=_checks(result),
        outline=[],
    )
    body = "".join(f"# ===== {f.path} =====\n{f.content}" for f in result.files)
    text = _text(answer, heading=f"{result.kind}: {len(entries)} file(s), content below.") + "\n" + body
    if len(text) <= INLINE_BUDGET:
        return answer, text
    linked = [
        e.model_copy(update={"resource": store.put(e.path, f.content)})
        for e, f in zip(entries, result.files, strict=True)
    ]
    heading = (
        f"{result.kind}: {len(linked)} file(s), too big to answer inline: read each with resources/read, or call "
        "again with output_dir to have them written."
    )
    return _fit_outlined(result, [_answer(result, linked, [])], [], heading, INLINE_BUDGET)
