"""references/app-contract.md: its example handler passes ruff and mypy --strict, and it states the key facts."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from skill._ruff import ruff_argv

CONTRACT = Path(__file__).resolve().parents[2] / "references" / "app-contract.md"


def test_example_handler_passes_ruff_and_mypy(tmp_path: Path) -> None:
    (code,) = re.findall(r"```python\n(.*?)```", CONTRACT.read_text(encoding="utf-8"), re.DOTALL)
    path = tmp_path / "example_handler.py"
    path.write_text(code, encoding="utf-8")
    for argv in (ruff_argv("format", "--check", str(path)), ruff_argv("check", str(path))):
        out = subprocess.run(argv, capture_output=True, text=True, check=False)
        assert out.returncode == 0, out.stdout + out.stderr
    out = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stdout


def test_contract_states_the_runtime_facts() -> None:
    text = CONTRACT.read_text(encoding="utf-8")
    for fact in ("dapr-api-token", "/dapr/subscribe", "422", '"success"', "deadLetterTopic", "404", "entryId",
                 "POST /job/<name>", "OPTIONS /<route>", "Only 200 is success", "compare_digest"):  # fmt: skip
        assert fact in text, fact
