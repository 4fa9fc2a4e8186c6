"""The service's output bindings, called as handlers call them, over the in-memory Dapr.

The in-memory Dapr records each call per binding and operation (`binding_calls_to`):
assert the same in tests of your own handlers, e.g. the email a handler sent.
"""

import pytest

from app.dapr_client import DaprClient
from tests.fake_dapr import FakeDapr

pytestmark = pytest.mark.anyio


async def test_welcome_mail_sends_an_email(dapr: DaprClient, fake: FakeDapr) -> None:
    await dapr.send_email(
        "welcome-mail",
        to="someone@example.com",
        subject="Hello",
        body="<p>Hi</p>",
        cc="copy@example.com",
    )
    (sent,) = fake.binding_calls_to("welcome-mail", "create")
    assert sent.data == "<p>Hi</p>"
    assert sent.metadata["emailTo"] == "someone@example.com"
    assert sent.metadata["subject"] == "Hello"
    # Both spellings: bindings.smtp reads emailCC, bindings.twilio.sendgrid emailCc.
    assert sent.metadata["emailCC"] == sent.metadata["emailCc"] == "copy@example.com"
