"""The quality bar for generated Python, in one place: the checks here and the ruff section written into
generated projects both read these constants. Layout (line length, quotes) is not a quality rule: it follows the
destination project (`skill.style`)."""

from __future__ import annotations

__all__ = ["LAYOUT_IGNORES", "RUFF_IGNORES", "RUFF_RULES", "RUFF_TEST_IGNORES", "TARGET_VERSION"]

TARGET_VERSION = "py311"
# DESIGN.md's minimum (E F W I UP B ASYNC S DTZ RUF SIM PT) plus families that catch what reviewers of
# generated code complain about: missing annotations, print, logging misuse, blind excepts, naming.
RUFF_RULES = (
    "E", "W", "F", "I", "UP", "B", "ASYNC", "S", "DTZ", "RUF", "SIM", "PT",
    "N", "C4", "PIE", "RET", "ANN", "T20", "LOG", "G", "BLE", "PERF",
)  # fmt: skip
# Tests may assert and use fixed fake secrets.
RUFF_TEST_IGNORES = ("S101", "S105", "S106")
# Line length is layout, and layout follows the destination project: ruff format wraps code to its line length,
# and a string or comment it cannot wrap is not a defect of the code. So the generation-time check leaves E501
# out; tests/engine/test_style.py proves the default renders keep every line within ruff's default 88.
LAYOUT_IGNORES = ("E501",)
# An exception may be named after the answer it gives (`DropEvent`: the handler drops the event), which N818 (an
# `Error` suffix) refuses. Ignored here rather than by a noqa comment in the code, itself a finding (RUF100)
# in a project that does not select N818, ruff's defaults among them.
# E741 (a name l, O or I): names that come from the user's JSON Schema (an enum value "O" becomes member `O`) are
# theirs to choose; refusing them made generation fail as "a bug" (found by tests/models/test_models_hostile_text).
RUFF_IGNORES = (*LAYOUT_IGNORES, "N818", "E741")
