"""Side-by-side throughput of the generated Dapr client against its alternatives.

Run everything with ``uv run --group bench python -m bench`` (``--help`` for options). The numbers are
measurements, not tests: the runner always exits 0 once it has measured, and prints MISS for a missed target.
"""
