"""The observer app: subscribes to every topic of the todo system (and its dead-letter topics) and records each
delivery as one JSON line, so that a scenario can count what was published. Run by real_system.py beside the
generated services, with a sidecar of its own:

    python tests/runtime/observer.py PORT RECORD_FILE PUBSUB TOPIC...
"""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


def build(record: Path, pubsub: str, topics: list[str]) -> Starlette:
    lock = threading.Lock()
    subscriptions = [
        {"pubsubname": pubsub, "topic": t, "route": f"/observed/{t}"} for t in topics + [f"{t}-dlq" for t in topics]
    ]

    async def subscribe(_: Request) -> Response:
        return JSONResponse(subscriptions)

    async def observed(request: Request) -> Response:
        body = await request.body()
        try:
            event = json.loads(body)
        except ValueError:
            event = {"raw": body.decode("utf-8", "replace")}
        line = json.dumps({"topic": request.path_params["topic"], "event": event})
        with lock, record.open("a", encoding="utf-8") as out:
            out.write(line + "\n")
        return JSONResponse({"status": "SUCCESS"})

    async def healthz(_: Request) -> Response:
        return Response(status_code=204)

    return Starlette(
        routes=[
            Route("/dapr/subscribe", subscribe),
            Route("/observed/{topic}", observed, methods=["POST"]),
            Route("/healthz", healthz),
        ]
    )


def main() -> None:
    port, record, pubsub, *topics = sys.argv[1:]
    uvicorn.run(build(Path(record), pubsub, topics), host="127.0.0.1", port=int(port), log_level="warning")


if __name__ == "__main__":
    main()
