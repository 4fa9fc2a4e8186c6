"""Turning series into the table, the target ratios (PASS/MISS) and the --json document."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bench.client.measure import CONCURRENCIES, Series
from bench.client.payloads import WORKLOADS, Workload

AUTO, HTTPX_GEN, AIOHTTP_GEN = "generated-auto", "generated-httpx", "generated-aiohttp"


@dataclass(frozen=True)
class RatioSpec:
    group: str
    numerator: str
    denominator: str
    workload: Workload
    concurrency: int
    target: float | None  # None: shown for context, no verdict


@dataclass(frozen=True)
class Ratio:
    spec: RatioSpec
    value: float | None  # None when either side is missing or failed

    @property
    def verdict(self) -> str:
        if self.spec.target is None:
            return ""
        if self.value is None:
            return "N/A"
        return "PASS" if self.value >= self.spec.target else "MISS"


def _pair(group: str, num: str, den: str, workload: Workload, target: float | None) -> list[RatioSpec]:
    return [RatioSpec(group, num, den, workload, c, target) for c in CONCURRENCIES]


RATIOS: tuple[RatioSpec, ...] = (
    *_pair("default generated (auto) / official dapr SDK", AUTO, "dapr-sdk", "invoke", 1.0),
    RatioSpec("default generated (auto) / plain httpx", AUTO, "httpx", "state", 1, None),
    RatioSpec("default generated (auto) / plain httpx", AUTO, "httpx", "state", 64, 4.0),
    *_pair("aiohttp-transport generated / bare aiohttp", AIOHTTP_GEN, "aiohttp", "state", 0.9),
    *_pair("aiohttp-transport generated / bare aiohttp", AIOHTTP_GEN, "aiohttp", "invoke", None),
    *_pair("default generated (auto) / seed pattern", AUTO, "seed", "state", None),
    *_pair("aiohttp-transport generated / seed pattern", AIOHTTP_GEN, "seed", "state", None),
    # What each generated transport keeps of the bare library it wraps: where a missed target comes from.
    *_pair("wrapper cost: generated (auto) / bare aiohttp", AUTO, "aiohttp", "state", None),
    *_pair("wrapper cost: generated (httpx) / bare httpx", HTTPX_GEN, "httpx", "state", None),
)


def compute_ratios(series: Sequence[Series]) -> list[Ratio]:
    medians = {(s.key, s.workload, s.concurrency): s.median for s in series}
    out = []
    for spec in RATIOS:
        num = medians.get((spec.numerator, spec.workload, spec.concurrency))
        den = medians.get((spec.denominator, spec.workload, spec.concurrency))
        out.append(Ratio(spec, num / den if num is not None and den else None))
    return out


def _cell(s: Series | None) -> str:
    if s is None:
        return "-"
    if s.error is not None:
        return "FAILED"
    med, spread = s.median, s.spread
    if med is None:
        return "-"
    text = f"{med:,.0f}" + (f" ±{spread / 2:.0%}" if spread is not None and len(s.rates) > 1 else "")
    return text + ("*" if s.disturbed else " ")


def table(series: Sequence[Series], labels: dict[str, str]) -> list[str]:
    by_cell = {(s.key, s.workload, s.concurrency): s for s in series}
    columns = [(w, c) for w in WORKLOADS for c in CONCURRENCIES]
    header = ["client", *(f"{w} c={c}" for w, c in columns)]
    rows = [[label, *(_cell(by_cell.get((key, w, c))) for w, c in columns)] for key, label in labels.items()]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(cell.ljust(widths[0]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(cells))

    out = [line(header), "  ".join("-" * w for w in widths), *(line(r) for r in rows)]
    failures = [s for s in series if s.error is not None]
    out += [f"  FAILED {labels.get(s.key, s.key)} {s.workload} c={s.concurrency}: {s.error}" for s in failures]
    return out


def ratio_lines(ratios: Sequence[Ratio]) -> list[str]:
    out: list[str] = []
    group = ""
    for r in ratios:
        if r.spec.group != group:
            group = r.spec.group
            out.append(group)
        value = "n/a" if r.value is None else f"{r.value:.2f}x"
        target = f"(target >= {r.spec.target:g}x)" if r.spec.target is not None else ""
        out.append(f"  {r.spec.workload:<6} c={r.spec.concurrency:<3} {value:>9}  {target:<17} {r.verdict}".rstrip())
    return out


def as_json(
    series: Sequence[Series], ratios: Sequence[Ratio], labels: dict[str, str], meta: dict[str, object]
) -> dict[str, object]:
    return {
        "meta": meta,
        "series": [
            {
                "client": s.key,
                "label": labels.get(s.key, s.key),
                "workload": s.workload,
                "concurrency": s.concurrency,
                "requests_per_second": s.rates,
                "foreign_cpu_cores": [{"client_core": f.client, "server_core": f.server} for f in s.foreign],
                "median": s.median,
                "error": s.error,
            }
            for s in series
        ],
        "ratios": [
            {
                "name": r.spec.group,
                "numerator": r.spec.numerator,
                "denominator": r.spec.denominator,
                "workload": r.spec.workload,
                "concurrency": r.spec.concurrency,
                "value": r.value,
                "target": r.spec.target,
                "verdict": r.verdict or None,
            }
            for r in ratios
        ],
    }
