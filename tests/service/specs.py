"""Service specs the tests render: the default, the examples, and one that uses every feature at once."""

from __future__ import annotations

from typing import Any

from skill.generators.service import GENERATOR

KITCHEN_SINK: dict[str, Any] = {
    "app_id": "everything",
    "port": 8300,
    "subscriptions": [
        {
            "topic": "task-events",
            "model": "Task",
            "route": "/events/tasks",
            "rules": [{"match": 'event.type == "tasks.deleted"', "route": "/events/deleted", "handler": "on_deleted"}],
        },
        {"topic": "reminders", "model": "ReminderEvent", "bulk": {"max_messages_count": 10}, "idempotent": True},
        {"topic": "imports", "model": "Task", "metadata": {"rawPayload": "true"}},
    ],
    "jobs": [{"name": "nightly"}, {"name": "reminder", "model": "ReminderEvent", "prefix": True}],
    "bindings": [{"name": "uploads"}, {"name": "task-feed", "model": "Task"}],
    "invocations": [
        {"method": "/normalize", "request_model": "Task", "response_model": "Task"},
        {"method": "/stats", "verb": "GET", "response_model": "Recurrence"},
        {"method": "/remind", "request_model": "Task", "response_model": "ReminderEvent"},
    ],
    "crud": [
        {
            "name": "tasks",
            "model": "Task",
            "topic": "task-events",
            "actions": [{"name": "complete", "field": "completed"}],
        },
        {"name": "reminders", "model": "ReminderEvent", "key_field": "task_id"},
    ],
    "publishes": ["task-updates"],
    "calls": ["notification"],
    "secret_store": {"name": "vault"},
    "client_blocks": ["jobs"],
}

SPECS: dict[str, dict[str, Any]] = {
    "default": {},
    **{name: dict(spec) for name, spec in GENERATOR.examples.items()},
    "kitchen-sink": KITCHEN_SINK,
}
