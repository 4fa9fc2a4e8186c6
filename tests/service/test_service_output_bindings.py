"""Output bindings as parts of a service: a component per profile with secrets by reference, the client's typed
calls, and the in-memory Dapr recording each call per operation."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from skill.checks.dapr import dapr_problems
from skill.generators.components import LOCAL_SECRETS_FILE, LOCAL_SECRETS_IGNORE
from skill.generators.service import GENERATOR
from skill.pipeline import generate
from skill.specs.project import ProjectSpec
from skill.specs.service import ServiceSpec
from tests.service.conftest import run_in, write_service
from tests.service.specs import KITCHEN_SINK

MAILER: dict[str, Any] = dict(GENERATOR.examples["mailer"])


def _yaml(files: dict[str, str], path: str) -> dict[str, Any]:
    doc = yaml.safe_load(files[path])
    assert isinstance(doc, dict)
    return doc


def _metadata(doc: dict[str, Any]) -> dict[str, Any]:
    return {m["name"]: m.get("value", m.get("secretKeyRef")) for m in doc["spec"]["metadata"]}


def test_an_email_binding_is_smtp_locally_and_sendgrid_on_kubernetes() -> None:
    files = {f.path: f.content for f in generate("service", MAILER).files}
    local = _yaml(files, "resources/local/welcome-mail.yaml")
    assert local["spec"]["type"] == "bindings.smtp"
    assert _metadata(local) == {"host": "localhost", "port": "1025", "emailFrom": "hello@example.com"}
    assert local["scopes"] == ["mailer"]
    cluster = _yaml(files, "resources/kubernetes/welcome-mail.yaml")
    assert cluster["spec"]["type"] == "bindings.twilio.sendgrid"
    assert _metadata(cluster)["apiKey"] == {"name": "welcome-mail-credentials", "key": "apiKey"}
    assert cluster["auth"] == {"secretStore": "kubernetes"}
    script = files["deploy/create-secrets.sh"]
    assert 'create "welcome-mail-credentials"' in script
    assert "${WELCOME_MAIL_API_KEY:?set WELCOME_MAIL_API_KEY}" in script


def test_every_binding_kind_holds_the_dapr_checks_with_no_secret_in_yaml() -> None:
    files = {f.path: f.content for f in generate("service", KITCHEN_SINK).files}
    kinds = {}
    for path, text in files.items():
        if path.startswith("resources/") and path.endswith(".yaml"):
            for doc in yaml.safe_load_all(text):
                assert dapr_problems(doc, path) == [], path
                if doc.get("kind") == "Component":
                    kinds[path] = doc["spec"]["type"]
    assert kinds["resources/kubernetes/mail.yaml"] == "bindings.smtp"
    assert kinds["resources/local/crm.yaml"] == kinds["resources/kubernetes/crm.yaml"] == "bindings.http"
    assert kinds["resources/kubernetes/audit.yaml"] == "bindings.kafka"
    assert kinds["resources/kubernetes/ledger.yaml"] == "bindings.postgresql"
    smtp = _metadata(_yaml(files, "resources/kubernetes/mail.yaml"))
    assert smtp["password"] == {"name": "mail-credentials", "key": "password"}
    assert _metadata(_yaml(files, "resources/local/crm.yaml"))["url"] == "http://localhost:9000"
    kafka = _metadata(_yaml(files, "resources/kubernetes/audit.yaml"))
    assert (kafka["publishTopic"], kafka["saslPassword"]) == (
        "audit-log",
        {"name": "kafka-credentials", "key": "password"},
    )


def test_a_local_connection_string_comes_from_secrets_json_through_a_store_of_its_own() -> None:
    files = {f.path: f.content for f in generate("service", KITCHEN_SINK).files}
    ledger = _yaml(files, "resources/local/ledger.yaml")
    assert _metadata(ledger)["connectionString"] == {"name": "ledger-credentials", "key": "connectionString"}
    store_name = ledger["auth"]["secretStore"]
    store = _yaml(files, f"resources/local/{store_name}.yaml")
    assert store["spec"]["type"] == "secretstores.local.file"
    # multiValued: a top-level key of the file is a secret, its members its keys (a ref as on Kubernetes).
    assert _metadata(store) == {"secretsFile": LOCAL_SECRETS_FILE, "multiValued": "true"}
    assert store["scopes"] == ["everything"]
    assert yaml.safe_load(files[LOCAL_SECRETS_FILE]) == {"ledger-credentials": {"connectionString": ""}}
    assert LOCAL_SECRETS_IGNORE in files  # the folder keeps the secrets out of git


def test_a_secret_given_as_a_value_is_refused_by_the_check() -> None:
    files = {f.path: f.content for f in generate("service", MAILER).files}
    doc = _yaml(files, "resources/kubernetes/welcome-mail.yaml")
    doc["spec"]["metadata"] = [{"name": "apiKey", "value": "SG.abc"}, {"name": "emailFrom", "value": "a@b.c"}]
    (problem,) = dapr_problems(doc, "mail.yaml")
    assert "'apiKey' is a secret: give it as a secretKeyRef" in problem


@pytest.mark.parametrize(
    ("change", "where", "rule"),
    [
        ({"sender": "not an address"}, "output_bindings.0.email.sender", "must be one email address"),
        ({"kind": "fax"}, "output_bindings.0", "kind: must be one of email, http, kafka, postgresql"),
        ({"name": "pubsub"}, "output_bindings.0.name", "must differ from every other component's name"),
        ({"kubernetes": "ses"}, "output_bindings.0.email.kubernetes", "'sendgrid' or 'smtp'"),
    ],
)
def test_a_bad_binding_names_the_field_and_the_rule(change: dict[str, str], where: str, rule: str) -> None:
    (first,) = MAILER["output_bindings"]
    binding = {**first, **change}
    with pytest.raises(ValidationError) as raised:
        ServiceSpec.model_validate({**MAILER, "state": {}, "output_bindings": [binding]})
    errors = raised.value.errors()
    assert any(".".join(map(str, e["loc"])) == where and rule in e["msg"] for e in errors), errors


def test_two_services_of_a_project_must_define_a_shared_binding_alike() -> None:
    mail = {"kind": "email", "name": "mail", "sender": "a@example.com"}
    services = [
        {"app_id": "a", "port": 8100, "output_bindings": [mail]},
        {"app_id": "b", "port": 8101, "output_bindings": [{**mail, "sender": "b@example.com"}]},
    ]
    with pytest.raises(ValidationError, match=r"services\.1\.output_bindings\.0"):
        ProjectSpec.model_validate({"name": "p", "services": services})
    alike = ProjectSpec.model_validate(
        {"name": "p", "services": [services[0], {**services[1], "output_bindings": [mail]}]}
    )
    component = [c for c in alike.components_spec().output_bindings if c.name == "mail"]
    assert len(component) == 1
    assert [a.output_bindings for a in alike.components_spec().apps] == [["mail"], ["mail"]]


@pytest.fixture(scope="module")
def mailer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("mailer")
    write_service(MAILER, folder)
    return folder


def test_the_mailer_passes_its_own_binding_tests(mailer: Path) -> None:
    done = run_in(mailer, "pytest", "-q", "-p", "no:cacheprovider", "tests/test_output_bindings.py")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout


def test_the_binding_test_fails_when_the_client_sends_the_wrong_metadata(mailer: Path, tmp_path: Path) -> None:
    folder = tmp_path / "broken"
    shutil.copytree(mailer, folder)
    (client,) = folder.glob("*/dapr_client.py")
    text = client.read_text(encoding="utf-8")
    assert '{"emailTo": to, "subject": subject}' in text
    client.write_text(text.replace('{"emailTo": to, "subject": subject}', '{"to": to, "subject": subject}'))
    done = run_in(folder, "pytest", "-q", "-p", "no:cacheprovider", "tests/test_output_bindings.py")
    assert done.returncode == 1, done.stdout
    assert "KeyError: 'emailTo'" in done.stdout


FEEDER: dict[str, Any] = {
    "app_id": "feeder",
    "port": 8500,
    "crud": [],
    "state": None,
    "bindings": [
        {"name": "tick", "source": {"kind": "cron", "schedule": "@every 15m"}},
        {"name": "orders-in", "route": "/in/orders", "source": {"kind": "kafka", "topics": ["orders"]}},
        {"name": "manual"},
    ],
}


def test_an_input_binding_with_a_source_gets_its_component_wired_to_its_route() -> None:
    files = {f.path: f.content for f in generate("service", FEEDER).files}
    tick = _yaml(files, "resources/local/tick.yaml")
    assert tick["spec"]["type"] == "bindings.cron"
    assert _metadata(tick) == {"schedule": "@every 15m", "route": "/tick", "direction": "input"}
    orders = _yaml(files, "resources/kubernetes/orders-in.yaml")
    meta = _metadata(orders)
    assert (meta["route"], meta["topics"], meta["consumerGroup"]) == ("/in/orders", "orders", "feeder")
    # Messages written before the binding's consumer group first joined are read too (Kafka's default: newest).
    assert meta["initialOffset"] == "oldest"
    assert _metadata(_yaml(files, "resources/local/orders-in.yaml"))["initialOffset"] == "oldest"
    assert meta["saslPassword"] == {"name": "kafka-credentials", "key": "password"}
    assert _metadata(_yaml(files, "resources/local/orders-in.yaml"))["authType"] == "none"
    assert not any("manual" in path for path in files if path.startswith("resources/"))  # no source: no component
    for path, text in files.items():
        if path.startswith("resources/"):
            assert dapr_problems(yaml.safe_load(text), path) == [], path
    # The app serves the routes the components post to.
    assert '@router.post("/in/orders")' in files["app/bindings.py"]
    assert '@router.post("/tick")' in files["app/bindings.py"]


@pytest.mark.parametrize(
    ("source", "where", "rule"),
    [
        ({"kind": "cron", "schedule": "every hour"}, "bindings.0.source.cron.schedule", "must be a cron schedule"),
        ({"kind": "kafka", "topics": []}, "bindings.0.source.kafka.topics", "at least 1 item"),
        ({"kind": "mqtt"}, "bindings.0.source", "kind: must be one of cron, kafka"),
    ],
)
def test_a_bad_input_source_names_the_field_and_the_rule(source: dict[str, Any], where: str, rule: str) -> None:
    with pytest.raises(ValidationError) as raised:
        ServiceSpec.model_validate({**FEEDER, "bindings": [{"name": "tick", "source": source}]})
    errors = raised.value.errors()
    assert any(".".join(map(str, e["loc"])) == where and rule in e["msg"] for e in errors), errors
