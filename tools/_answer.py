"""What a generator tool answers: sized for an agent's context, not for a file system.

Written to a folder, the answer names each file (absolute path, lines, sha256), the requirements, the notes, the
checks and the outline of the public API, within `WRITTEN_BUDGET` characters (text and structured content each).
Inline, it carries each file's content once, in the text; past `INLINE_BUDGET` characters it carries the outline
and one resource link per file instead. The outline is made more compact, level by level, until it fits.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import itertools
import os
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence

from pydantic import BaseModel, ConfigDict, Field

from skill import FileOutline, Result, Symbol, outline, parse_python

__all__ = [
    "INLINE_BUDGET",
    "RESULT_URI_PREFIX",
    "WRITTEN_BUDGET",
    "Answer",
    "ResultStore",
    "inline_answer",
    "outline_lines",
    "written_answer",
]

WRITTEN_BUDGET = 6_000
INLINE_BUDGET = 40_000
RESULT_URI_PREFIX = "dapr-results://"
_LEVELS = 6


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


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _lines(text: str) -> int:
    return text.count("\n") + (0 if text.endswith("\n") or not text else 1)


def _checks(result: Result) -> str:
    names = list(dict.fromkeys(c for f in result.files for c in f.checks))
    return f"{', '.join(names)} ({result.lint.ruff_version}): {result.lint.status}"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def _short_signature(signature: str) -> str:
    """Parameters with a default keep only their name (`etag=...`): what a call needs, in a third of the room."""
    try:
        fn = parse_python(f"def f{signature}: pass").body[0]  # under the engine's lock: tools run in threads
    except SyntaxError:
        return signature
    assert isinstance(fn, ast.FunctionDef)
    args = fn.args
    positional = [*args.posonlyargs, *args.args]
    first_default = len(positional) - len(args.defaults)
    parts = []
    for i, a in enumerate(positional):
        parts.append(f"{a.arg}=..." if i >= first_default else ast.unparse(a))
        if args.posonlyargs and i == len(args.posonlyargs) - 1:
            parts.append("/")
    if args.vararg is not None:
        parts.append(f"*{args.vararg.arg}")
    elif args.kwonlyargs:
        parts.append("*")
    for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        parts.append(f"{a.arg}=..." if d is not None else ast.unparse(a))
    if args.kwarg is not None:
        parts.append(f"**{args.kwarg.arg}")
    returns = f" -> {ast.unparse(fn.returns)}" if fn.returns is not None else ""
    return f"({', '.join(parts)}){returns}"


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
        sig = s.signature if level == 0 else _short_signature(s.signature)
        head = f"{prefix}{'async ' if s.kind.startswith('async') else ''}{short}{sig}"
    elif s.kind == "property":
        head = f"{prefix}{short}{s.signature} (property)"
    else:
        head = f"{prefix}{s.kind} {short}{s.signature}"
    doc_room = (0, 100, 100, 60, 0)[level] if s.kind != "class" else (0, 100, 100, 60, 60)[level]
    if level == 0:
        doc_room = 200
    return f"{head} - {_cut(s.doc, doc_room)}" if s.doc and doc_room else head


def _file_lines(fo: FileOutline, level: int) -> list[str]:
    if level >= 5:  # the public names only, one line per file
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
        if level >= 4 and "." in s.name:  # methods by name only, on one line per class
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


def outline_lines(result: Result, level: int = 0) -> list[str]:
    """The public API of the Python files, one line per symbol (fields grouped), at a level of compactness 0-5.
    The engine read it while checking; a result rebuilt from JSON has none and is parsed here instead."""
    python = [f for f in result.files if f.language == "python"]
    if all(f.outline is not None for f in python):
        outlines: Sequence[FileOutline] = [f.outline for f in python if f.outline is not None]
    else:
        outlines = _outlines(tuple((f.path, f.content) for f in python))
    return [line for fo in outlines for line in _file_lines(fo, level)]


def _text(answer: Answer, *, heading: str) -> str:
    parts = [heading] + ([f"in {answer.folder}:"] if answer.folder else [])
    for f in answer.files:
        where = f.resource or f.path
        state = f"{f.status} " if f.status else ""
        parts.append(f"{state}{where} ({f.lines} lines, sha256 {f.sha256})")
    if answer.requirements:
        parts.append(f"requires: {', '.join(answer.requirements)}")
    parts += [f"note: {n}" for n in answer.notes]
    parts.append(f"checked: {answer.checks}")
    if answer.outline:
        parts += ["", "API outline:", *answer.outline]
    return "\n".join(parts) + "\n"


def _fit(build: Iterable[Answer], heading: str, budget: int) -> tuple[Answer, str]:
    """The first (most detailed) answer whose text and structured content each fit in `budget`, else the last one.
    `build` is lazy: less detailed answers are only made when a more detailed one did not fit."""
    answer: Answer | None = None
    text = ""
    for answer in build:
        text = _text(answer, heading=heading)
        if len(text) <= budget and len(answer.model_dump_json()) <= budget:
            return answer, text
    assert answer is not None, "no answer to fit"
    return answer, text


def _status(done: bool | str) -> str:
    return done if isinstance(done, str) else "wrote" if done else "unchanged"


def written_answer(result: Result, written: dict[str, tuple[str, bool | str]]) -> tuple[Answer, str]:
    """`written`: relative path -> (absolute path, whether it was (re)written or what a tracked update did)."""
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
    answers: Iterable[Answer] = (_answer(result, files, level) for level in range(_LEVELS))
    # Many files under a long folder: name the folder once, each file relative to it.
    common = os.path.commonpath([p for p, _ in written.values()]) if written else None
    if common is not None:
        relative = [f.model_copy(update={"path": os.path.relpath(f.path, common)}) for f in files]
        shorter = (_answer(result, relative, level).model_copy(update={"folder": common}) for level in range(_LEVELS))
        answers = itertools.chain(answers, shorter)
    heading = f"{result.kind}: {len(files)} file(s) written; read the outline to call the code."
    conflicts = sum(f.status == "conflict" for f in files)
    if conflicts:  # said first: the files do not parse until the user (or the agent) resolves them
        heading = (
            f"{result.kind}: {conflicts} file(s) (status conflict) need you: conflict markers where your edits and "
            "the new render overlap (<<<<<<< yours, ||||||| generated before, =======, >>>>>>> generated now; edit "
            "each to one version and delete the markers), or, in a file of yours, definitions the new code calls "
            f"(the file's note lists them). {heading}"
        )
    return _fit(answers, heading, WRITTEN_BUDGET)


def _answer(result: Result, files: list[FileEntry], level: int) -> Answer:
    return Answer(
        kind=result.kind,
        files=files,
        requirements=result.requirements,
        notes=result.notes,
        checks=_checks(result),
        outline=outline_lines(result, level),
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
    answers = (_answer(result, linked, level) for level in range(_LEVELS))
    heading = (
        f"{result.kind}: {len(linked)} file(s), too big to answer inline: read each with resources/read, or call "
        "again with output_dir to have them written."
    )
    return _fit(answers, heading, INLINE_BUDGET)
