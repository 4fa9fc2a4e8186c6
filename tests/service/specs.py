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
    "bindings": [
        {"name": "uploads", "source": {"kind": "cron", "schedule": "0 */5 * * * *"}},
        {"name": "task-feed", "model": "Task", "source": {"kind": "kafka", "topics": ["task-feed"]}},
    ],
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
        {
            "name": "reminders",
            "model": "ReminderEvent",
            "key_field": "task_id",
            "operations": ["list", "read", "update", "delete"],
            "put_creates": True,
        },
    ],
    "publishes": ["task-updates"],
    "calls": ["notification"],
    "secret_store": {"name": "vault"},
    "client_blocks": ["jobs"],
    "output_bindings": [
        {"kind": "email", "name": "mail", "sender": "tasks@example.com", "kubernetes": "smtp"},
        {"kind": "http", "name": "crm", "url": "https://crm.example.com/api", "local_url": "http://localhost:9000"},
        {"kind": "kafka", "name": "audit", "topic": "audit-log"},
        {"kind": "postgresql", "name": "ledger"},
    ],
}

SPECS: dict[str, dict[str, Any]] = {
    "default": {},
    **{name: dict(spec) for name, spec in GENERATOR.examples.items()},
    "kitchen-sink": KITCHEN_SINK,
}
