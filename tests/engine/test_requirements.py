"""A result's requirements name each distribution once, with the tightest bounds its parts state (issue 17: the
`requires:` line listed pydantic>=2.10,<3 and pydantic>=2.7,<3), and generated code carries no `# noqa` that
would itself be a finding (RUF100) in a project that does not select the rule it silences."""

from __future__ import annotations

import re
import subprocess

import pytest

from skill import REGISTRY, generate
from skill._ruff import find_ruff
from skill.requirements import lower_bounds, tightest


def test_one_requirement_per_distribution_with_the_tightest_bounds() -> None:
    merged = tightest(["pydantic>=2.7,<3", "pydantic>=2.10,<4", "Pydantic_Settings>=2.4", "uvicorn[standard]>=0.32"])
    assert merged == ("pydantic>=2.10,<3", "pydantic-settings>=2.4", "uvicorn[standard]>=0.32")  # as first stated
    assert lower_bounds(["httpx>=0.28,<1", "httpx>=0.27", "uvicorn>=0.30", "uvicorn[standard]>=0.32"]) == (
        "httpx>=0.28",
        "uvicorn[standard]>=0.32",
    )


def test_a_bound_it_cannot_merge_is_refused() -> None:
    with pytest.raises(ValueError, match="only '>=' and '<'"):
        tightest(["pydantic~=2.7"])


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_generator_names_each_distribution_once(name: str) -> None:
    requirements = generate(name).requirements
    names = [re.split(r"[\[<>=]", r)[0] for r in requirements]
    assert len(names) == len(set(names)), requirements


def test_generated_code_has_no_noqa_a_project_without_its_rule_would_flag() -> None:
    for name in ("endpoint", "service"):
        for f in generate(name).files:
            if f.language != "python":
                continue
            done = subprocess.run(
                [find_ruff(), "check", "--isolated", "--select", "RUF100", "--stdin-filename", f.path, "-"],
                input=f.content, capture_output=True, text=True, check=False,
            )  # fmt: skip
            assert done.returncode == 0, (name, f.path, done.stdout)
