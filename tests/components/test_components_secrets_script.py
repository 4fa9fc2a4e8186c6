"""deploy/create-secrets.sh, run against a stand-in kubectl: it creates what is missing with random tokens and the
credentials of its environment, keeps what exists, and stops naming the variable it lacks."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from skill.pipeline import generate

# A kubectl that knows the Secrets named in $EXISTING and logs every `create`.
KUBECTL = """#!/bin/sh
if [ "$1" = get ]; then
    case " $EXISTING " in *" $3 "*) exit 0 ;; esac
    exit 1
fi
echo "$*" >> "$LOG"
"""


def _run(tmp_path: Path, env: dict[str, str], spec: dict[str, object] | None = None) -> tuple[int, str, list[str]]:
    script = next(f.content for f in generate("components", spec or {}).files if f.path == "deploy/create-secrets.sh")
    (tmp_path / "create-secrets.sh").write_text(script, encoding="utf-8")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    kubectl = bin_dir / "kubectl"
    kubectl.write_text(KUBECTL, encoding="utf-8")
    kubectl.chmod(0o755)
    log = tmp_path / "kubectl.log"
    log.write_text("", encoding="utf-8")
    full = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "LOG": str(log), "EXISTING": "", **env}
    done = subprocess.run(
        ["sh", str(tmp_path / "create-secrets.sh")],
        capture_output=True, text=True, env=full, check=False, timeout=30,
    )  # fmt: skip
    return done.returncode, done.stdout + done.stderr, log.read_text(encoding="utf-8").splitlines()


def test_missing_secrets_are_created_tokens_random(tmp_path: Path) -> None:
    env = {"KAFKA_USERNAME": "u", "KAFKA_PASSWORD": "p", "POSTGRES_CONNECTION_STRING": "host=db", "NAMESPACE": "todo"}
    code, out, created = _run(tmp_path, env)
    assert code == 0, out
    names = [line.split()[3] for line in created]
    assert names == ["dapr-api-token", "app-api-token", "kafka-credentials", "postgres-credentials"]
    assert all("--namespace=todo" in line for line in created)
    tokens = [line.split("--from-literal=token=")[1].split()[0] for line in created[:2]]
    assert len(set(tokens)) == 2
    assert all(len(t) == 64 for t in tokens)
    assert "--from-literal=username=u --from-literal=password=p" in created[2]


def test_existing_secrets_are_kept_and_need_no_credentials(tmp_path: Path) -> None:
    code, out, created = _run(tmp_path, {"EXISTING": "kafka-credentials postgres-credentials"})
    assert code == 0, out
    assert [line.split()[3] for line in created] == ["dapr-api-token", "app-api-token"]
    assert "secret kafka-credentials exists: kept" in out


def test_a_missing_credential_stops_the_script_naming_it(tmp_path: Path) -> None:
    code, out, _ = _run(tmp_path, {"KAFKA_USERNAME": "u"})
    assert code != 0
    assert "set KAFKA_PASSWORD" in out


@pytest.mark.parametrize("environments", [["local"], ["kubernetes"]])
def test_only_kubernetes_gets_the_script(environments: list[str]) -> None:
    paths = {f.path for f in generate("components", {"environments": environments}).files}
    assert ("deploy/create-secrets.sh" in paths) == ("kubernetes" in environments)
