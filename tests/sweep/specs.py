"""Random service specs from a seed: what the service spec allows, drawn the way a user might fill it.

Names (app ids, topics, models, fields, handlers), field types and constraints, models as a field list or as a JSON
Schema, subscriptions (idempotent, bulk, routing rules, dead-letter topics, raw payloads), jobs (one or a prefix),
input bindings (typed or raw), invocation targets (with or without a body), CRUD resources (their key, actions),
the components (named, or none), environments, the app token, and the notification starter with a reminder model
of the user's own. Deterministic: the same seed and index give the same spec.
"""

from __future__ import annotations

import random
from typing import Any

_MODEL_NAMES = ("Order", "Parcel", "Invoice", "Ticket", "Reading", "Booking", "Account", "Voucher", "Shelf", "Route")
_FIELD_NAMES = (
    "code", "label", "amount", "quantity", "note", "owner", "region", "score", "opened", "closed_at",
    "due_on", "tags", "weights", "ref", "level", "active", "price", "batch", "origin", "summary",
)  # fmt: skip
_TOPIC_WORDS = ("orders", "parcels", "alerts", "audit", "billing", "stock", "readings", "bookings", "events")
_APP_WORDS = ("shop", "ledger", "courier", "sensor", "desk", "vault", "relay", "atlas")
_SCALARS = ("str", "int", "float", "bool", "datetime", "date", "UUID", "Decimal", "list[str]", "dict[str, int]")


def _pick(rng: random.Random, items: tuple[str, ...], k: int) -> list[str]:
    return rng.sample(list(items), k)


def _field(rng: random.Random, name: str, refs: list[str], enums: list[str]) -> dict[str, Any]:
    kinds = list(_SCALARS) + refs + enums
    kind = rng.choice(kinds)
    f: dict[str, Any] = {"name": name, "type": kind}
    if kind == "str" and rng.random() < 0.6:
        f["min_length"] = rng.randint(0, 3)
        f["max_length"] = rng.randint(max(5, f["min_length"]), 80)
        if rng.random() < 0.3:
            f["pattern"] = rng.choice(("^[a-z]+$", "^[A-Z]{2}-[0-9]{3}$", "^[a-z0-9_-]+$"))
    elif kind in ("int", "float") and rng.random() < 0.6:
        low = rng.randint(-5, 5)
        f["ge"] = low
        f["le"] = low + rng.randint(1, 1000)
    elif kind == "Decimal" and rng.random() < 0.5:
        f["max_digits"] = rng.randint(4, 10)
        f["decimal_places"] = rng.randint(0, 3)
    elif kind == "list[str]" and rng.random() < 0.4:
        f["max_length"] = rng.randint(1, 10)
    if rng.random() < 0.25:
        f["type"] = f"{kind} | None"
    elif kind == "bool" and rng.random() < 0.5:
        f["default"] = rng.random() < 0.5
    elif kind == "int" and "ge" not in f and rng.random() < 0.3:
        f["default"] = rng.randint(0, 9)
    return f


def _models(rng: random.Random) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    enums: list[dict[str, Any]] = []
    if rng.random() < 0.4:
        enums.append({"name": "Kind", "values": rng.sample(["small", "large", "express", "slow", "fragile"], 3)})
    models: list[dict[str, Any]] = []
    for name in _pick(rng, _MODEL_NAMES, rng.randint(1, 3)):
        names = _pick(rng, _FIELD_NAMES, rng.randint(1, 5))
        fields: list[dict[str, Any]] = []
        if rng.random() < 0.7:
            fields.append({"name": "key", "type": "str", "min_length": 1, "max_length": 40})
        refs = [m["name"] for m in models] if rng.random() < 0.5 else []
        fields += [_field(rng, n, refs, [e["name"] for e in enums]) for n in names]
        models.append({"name": name, "fields": fields})
    return models, enums


# --- the same models as a JSON Schema (datamodel-code-generator's path) -------------------------------------

_JSON_TYPES: dict[str, dict[str, Any]] = {
    "str": {"type": "string"},
    "int": {"type": "integer"},
    "float": {"type": "number"},
    "bool": {"type": "boolean"},
    "datetime": {"type": "string", "format": "date-time"},
    "date": {"type": "string", "format": "date"},
    "UUID": {"type": "string", "format": "uuid"},
    "Decimal": {"type": "number"},
    "list[str]": {"type": "array", "items": {"type": "string"}},
    "dict[str, int]": {"type": "object", "additionalProperties": {"type": "integer"}},
}
_JSON_CONSTRAINTS = {
    "min_length": "minLength",
    "max_length": "maxLength",
    "pattern": "pattern",
    "ge": "minimum",
    "le": "maximum",
}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


def json_schema(models: list[dict[str, Any]], enums: list[dict[str, Any]], root: str) -> dict[str, Any]:
    """`models` as one JSON Schema: `root` at the top (its title), the others under `$defs`, camelCase keys."""
    enum_values = {e["name"]: e["values"] for e in enums}

    def prop(f: dict[str, Any]) -> dict[str, Any]:
        kind = f["type"].removesuffix(" | None")
        if kind in enum_values:
            node: dict[str, Any] = {"$ref": f"#/$defs/{kind}"}
        elif kind in _JSON_TYPES:
            node = dict(_JSON_TYPES[kind])
        else:
            node = {"$ref": f"#/$defs/{kind}"}
        if kind == "list[str]" and "max_length" in f:
            node["maxItems"] = f["max_length"]
        elif kind in ("str", "int", "float"):
            node.update({_JSON_CONSTRAINTS[k]: v for k, v in f.items() if k in _JSON_CONSTRAINTS})
        if "default" in f:
            node["default"] = f["default"]
        return node

    def obj(m: dict[str, Any]) -> dict[str, Any]:
        required = [_camel(f["name"]) for f in m["fields"] if "default" not in f and "| None" not in f["type"]]
        return {
            "type": "object",
            "properties": {_camel(f["name"]): prop(f) for f in m["fields"]},
            "required": required,
        }

    top = next(m for m in models if m["name"] == root)
    defs: dict[str, Any] = {m["name"]: obj(m) for m in models if m is not top}
    defs.update({name: {"type": "string", "enum": values} for name, values in enum_values.items()})
    return {"title": root, **obj(top), **({"$defs": defs} if defs else {})}


def _topic(rng: random.Random, used: set[str]) -> str:
    while True:
        name = f"{rng.choice(_TOPIC_WORDS)}-{rng.randint(1, 99)}"
        if name not in used:
            used.add(name)
            return name


def _notification(rng: random.Random, spec: dict[str, Any]) -> dict[str, Any]:
    """The notification starter over a reminder model of the user's own (the fields it reads, plus others)."""
    extra = [_field(rng, n, [], []) for n in _pick(rng, ("channel_hint", "attempt", "locale", "snooze"), 2)]
    fields: list[dict[str, Any]] = [
        {"name": "task_id", "type": "str", "min_length": 1, "max_length": 64, "pattern": "^[a-z0-9-]+$"},
        {"name": "user_id", "type": "str"},
        {"name": "remind_at", "type": "datetime"},
        *extra,
    ]
    rng.shuffle(fields)
    reminder = {"name": "ReminderEvent", "fields": fields}
    topic = _topic(rng, set())
    return {
        **spec,
        "models": {"models": [reminder]},
        "subscriptions": [{"topic": topic, "model": "ReminderEvent", "idempotent": rng.random() < 0.5}],
        "jobs": [{"name": "nudge", "model": "ReminderEvent", "prefix": True}],
        "bindings": [],
        "invocations": [],
        "crud": [],
        "publishes": [f"{topic}-sent"],
        "client_blocks": ["jobs", "state"],
        "starter": "todo-notification",
    }


def service_spec(seed: int, index: int) -> dict[str, Any]:
    """Spec `index` of the sweep with `seed`."""
    rng = random.Random(f"{seed}-{index}")
    app = f"{rng.choice(_APP_WORDS)}-{index}"
    spec: dict[str, Any] = {"app_id": app, "port": 9000 + index, "package": f"svc{index}"}
    models, enums = _models(rng)
    names = [m["name"] for m in models]
    topics: set[str] = set()
    subs = []
    for i in range(rng.randint(0, 2)):
        sub: dict[str, Any] = {"topic": _topic(rng, topics), "model": rng.choice(names)}
        roll = rng.random()
        if roll < 0.2:
            sub["bulk"] = {"max_messages_count": rng.randint(1, 50)}
        elif roll < 0.35:
            sub["rules"] = [{"match": f'event.type == "kind-{i}"', "route": f"/rules/{i}", "handler": f"on_rule_{i}"}]
        elif roll < 0.45:
            sub["metadata"] = {"rawPayload": "true"}
        if rng.random() < 0.4:
            sub["idempotent"] = True
        if rng.random() < 0.3:
            sub["dead_letter_topic"] = f"{sub['topic']}-poison"
        subs.append(sub)
    spec["subscriptions"] = subs
    spec["jobs"] = [
        {
            "name": f"job-{i}",
            **({"model": rng.choice(names)} if rng.random() < 0.6 else {}),
            "prefix": rng.random() < 0.3,
        }
        for i in range(rng.randint(0, 2))
    ]
    spec["bindings"] = [
        {"name": f"feed-{i}", **({"model": rng.choice(names)} if rng.random() < 0.5 else {})}
        for i in range(rng.randint(0, 2))
    ]
    invocations = []
    for i in range(rng.randint(0, 2)):
        if rng.random() < 0.5:
            invocations.append(
                {"method": f"/act-{i}", "request_model": rng.choice(names), "response_model": rng.choice(names)}
            )
        else:
            invocations.append({"method": f"/look-{i}", "verb": "GET", "response_model": rng.choice(names)})
    spec["invocations"] = invocations
    keyed = [m for m in models if m["fields"] and m["fields"][0]["name"] == "key"]
    crud = []
    if keyed and rng.random() < 0.5:
        m = rng.choice(keyed)
        flags = [f["name"] for f in m["fields"] if f["type"] == "bool"]
        c: dict[str, Any] = {"name": f"{m['name'].lower()}s", "model": m["name"], "key_field": "key"}
        if rng.random() < 0.5:
            c["topic"] = _topic(rng, topics)
        if flags:
            c["actions"] = [{"name": "settle", "field": flags[0]}]
        crud.append(c)
    spec["crud"] = crud
    spec["publishes"] = [_topic(rng, topics) for _ in range(rng.randint(0, 1))]
    spec["calls"] = [f"{rng.choice(_APP_WORDS)}-peer"] if rng.random() < 0.3 else []
    spec["app_token"] = rng.random() < 0.7
    spec["environments"] = rng.choice((["local"], ["kubernetes"], ["local", "kubernetes"]))
    if rng.random() < 0.3:
        spec["pubsub"] = {"name": f"bus-{index}"}
    if rng.random() < 0.3:
        spec["state"] = {"name": f"store-{index}"}
    if rng.random() < 0.3:  # models as a JSON Schema (camelCase keys, Python names for the CRUD key)
        # The last model is the root: only earlier ones are referenced, and a reference to the root is '#'.
        spec["models"] = {"json_schema": json_schema(models, enums, names[-1])}
    else:
        spec["models"] = {"models": models, "enums": enums} if enums else {"models": models}
    if rng.random() < 0.12:
        spec = _notification(rng, spec)
    return spec
