"""The daprd benchmark runs end to end on the real runtime, tiny (a smoke test: no timing asserted).

Every app gets its events through its own daprd and Redis Streams, each event reaches the handler once (the bench
checks distinct order ids per burst and raises otherwise), and the report has a row per app, the ratios and the
latency. dapr-ext-fastapi is a bench-group package: without it its row and the ratios say n/a.
"""

from __future__ import annotations

import io

import pytest

from bench.daprd import CONCURRENCIES, LABELS, Sizes, importlib_missing, run_daprd

pytestmark = pytest.mark.runtime


def test_a_tiny_run_measures_every_app_at_both_concurrencies() -> None:
    out = io.StringIO()
    sizes = Sizes({1: 6, 64: 12}, rounds=1, latency=2, warmup=2)
    assert run_daprd(out, sizes=sizes) == 0
    text = out.getvalue()
    assert "skipped" not in text, text
    measured = [k for k in LABELS if k != "dapr-ext-fastapi" or not importlib_missing("dapr.ext.fastapi")]
    for kind in measured:
        row = next(line for line in text.splitlines() if line.startswith(LABELS[kind]) and "/s" in line)
        assert row.count("/s") == len(CONCURRENCIES), row
        assert any(line.startswith(LABELS[kind]) and "p50" in line for line in text.splitlines()), text
    ratios = [line for line in text.splitlines() if line.startswith("generated / dapr-ext-fastapi")]
    assert len(ratios) == len(CONCURRENCIES), text
    if "dapr-ext-fastapi" in measured:
        assert all("x  (target" in line for line in ratios), text
    else:
        assert all(line.endswith("n/a") for line in ratios), text
