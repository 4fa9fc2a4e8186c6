"""The SMTP sink the runtime scenarios read emails from keeps what a standard client sends."""

from __future__ import annotations

import smtplib

from tests.runtime.smtp_sink import SmtpSink


def test_the_sink_keeps_each_message_with_its_envelope() -> None:
    with SmtpSink() as sink, smtplib.SMTP(sink.host, sink.port, timeout=10) as client:
        client.sendmail("shop@example.com", ["a@example.com"], "Subject: one\r\n\r\nfirst\r\n..dot\r\n")
        client.sendmail("shop@example.com", ["b@example.com", "c@example.com"], "Subject: two\r\n\r\nsecond\r\n")
        client.quit()
        first, second = sink.messages()
    assert (first["sender"], first["recipients"]) == ("shop@example.com", ["a@example.com"])
    assert first["data"].splitlines() == ["Subject: one", "", "first", "..dot"]
    assert second["recipients"] == ["b@example.com", "c@example.com"]
