"""A client that declares no roots, over stdio with the official TypeScript SDK: the server writes only under its
own working directory (a relative output_dir lands there; a folder elsewhere is refused, naming the folder)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

from skill.result import Language
from tests.doors.test_mcp_external import CLIENT, ROOT, TIMEOUT, _server_command, node  # noqa: F401 - node: fixture
from tools._answer import Answer


def test_without_roots_the_server_writes_under_its_working_directory(node: str, tmp_path: Path) -> None:  # noqa: F811
    cwd, outside = tmp_path / "server-cwd", tmp_path / "elsewhere"
    cwd.mkdir()
    outside.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "ROOT_DIR"}
    env |= {"SERVER_CWD": str(cwd), "NO_ROOTS_OUTPUT": "gen/client", "OUTSIDE_DIR": str(outside)}
    done = subprocess.run(
        [node, str(CLIENT), "stdio", *_server_command(), "mcp"],
        capture_output=True, text=True, timeout=TIMEOUT, cwd=ROOT, check=False, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)["noRoots"]
    inside = report["inside"]
    assert not inside["isError"], inside["text"]
    answer = Answer.model_validate(inside["structuredContent"])
    python: Language = "python"
    for f in answer.files:
        path = Path(answer.folder or "/", f.path)
        assert path.is_relative_to(cwd / "gen" / "client"), path
        assert hashlib.sha256(path.read_bytes()).hexdigest() == f.sha256
        assert f.language == python
    refused = report["outside"]
    assert refused["isError"]
    assert "output_dir:" in refused["text"]
    assert str(cwd) in refused["text"]
    assert not any(outside.iterdir())
