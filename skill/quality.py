"""The quality bar for generated Python, in one place: the checks here and the ruff section written into
generated projects both read these constants."""

from __future__ import annotations

__all__ = ["LINE_LENGTH", "RUFF_RULES", "RUFF_TEST_IGNORES", "TARGET_VERSION"]

TARGET_VERSION = "py311"
LINE_LENGTH = 100
# DESIGN.md's minimum (E F W I UP B ASYNC S DTZ RUF SIM PT) plus families that catch what reviewers of
# generated code complain about: missing annotations, print, logging misuse, blind excepts, naming.
RUFF_RULES = (
    "E", "W", "F", "I", "UP", "B", "ASYNC", "S", "DTZ", "RUF", "SIM", "PT",
    "N", "C4", "PIE", "RET", "ANN", "T20", "LOG", "G", "BLE", "PERF",
)  # fmt: skip
# Tests may assert and use fixed fake secrets.
RUFF_TEST_IGNORES = ("S101", "S105", "S106")
