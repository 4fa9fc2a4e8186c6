"""`python -m bench.endpoint.server KIND FOLDER PORT`: one app under uvicorn, one worker, on loopback.

The lifespan is off for every app alike: the generated one would otherwise open a Dapr client and wait for a
sidecar, which a delivery benchmark does not have (its handler never calls Dapr).
"""

from __future__ import annotations

import sys
from pathlib import Path

import uvicorn

from bench.endpoint.apps import build


def main(argv: list[str]) -> None:
    kind, folder, port = argv
    app = build(kind, Path(folder))
    # Keep-alive outlives a round: while the other apps are measured, this one's pooled connections sit idle.
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(port),
        lifespan="off",
        access_log=False,
        log_level="warning",
        timeout_keep_alive=600,
    )


if __name__ == "__main__":
    main(sys.argv[1:])
