"""Channels: URLs checked and masked, messages delivered to real receivers on 127.0.0.1
(JSON webhook, ntfy, a Mattermost chat hook, a real SMTP server) and read back on the wire."""

import pytest

from tests.support.receivers import Receiver
from tests.support.smtp_server import SmtpServer
from vigie.notify import channels
from vigie.notify.channels import ChannelError

MESSAGE = {"title": "[CRITICAL] opened: edge-rt-02: Machine is not answering SNMP",
           "body": "CRITICAL opened: edge-rt-02: Machine is not answering SNMP\n  http://127.0.0.1:8080/alerts.html?id=7",
           "type": "failure"}


@pytest.fixture(scope="module")
def hook():
    receiver = Receiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture(scope="module")
def smtp(tmp_path_factory):
    server = SmtpServer(tmp_path_factory.mktemp("smtp")).start()
    yield server
    server.stop()


@pytest.mark.parametrize("url, service", [
    ("mailto://user:pw@example.org", "E-Mail"),
    ("json://127.0.0.1:9/hook", "JSON"),
    ("ntfy://127.0.0.1:9/topic", "ntfy"),
    ("mmost://127.0.0.1:9/abcdefgh", "Mattermost"),
    ("alertmanager://127.0.0.1:9093", "Alertmanager"),
    ("http://127.0.0.1:9093/api/v2/alerts", "Alertmanager"),
])
def test_describe_known_urls(url, service):
    assert channels.describe(url)["service"] == service


@pytest.mark.parametrize("url", ["", "no-scheme", "nosuchservice://x/y", "json://", "mailto://a\nb@x"])
def test_unusable_urls_are_refused_without_repeating_them(url):
    with pytest.raises(ChannelError) as caught:
        channels.describe(url)
    assert caught.value.field == "url"
    if url.partition("://")[2]:
        assert url not in caught.value.message


def test_redact_removes_every_secret_part():
    url = "tgram://123456789:AAE-secret-token/987654?key=hunter22&format=text"
    text = f"failed sending to {url}: 123456789:AAE-secret-token refused hunter22 and 1...n"
    cleaned = channels.redact(text, url)
    for secret in ("AAE-secret-token", "hunter22", "123456789:AAE"):
        assert secret not in cleaned
    assert "failed sending to" in cleaned
    mail = "mailto://alice:s3cr3t-pw@smtp.example.org?to=ops@example.org"
    assert "s3cr3t-pw" not in channels.redact("auth failed for alice:s3cr3t-pw at smtp.example.org", mail)
    assert "smtp.example.org" in channels.redact("auth failed at smtp.example.org", mail)


def test_json_webhook_receives_title_body_type_and_the_message_key(hook):
    before = len(hook.received())
    outcome = channels.deliver(f"json://user:pw@127.0.0.1:{hook.port}/hook", MESSAGE, key="vigie-41")
    assert outcome.ok, outcome.answer
    arrival = hook.wait_for(before + 1)[before]
    assert arrival.path == "/hook"
    payload = arrival.json()
    assert payload["title"] == MESSAGE["title"]
    assert payload["message"] == MESSAGE["body"]
    assert payload["type"] == "failure"
    assert arrival.key == "vigie-41"
    assert "pw" not in outcome.answer


def test_ntfy_receives_the_topic_title_and_message(hook):
    before = len(hook.received())
    assert channels.deliver(f"ntfy://127.0.0.1:{hook.port}/vigie-ops", MESSAGE).ok
    payload = hook.wait_for(before + 1)[before].json()
    assert payload["topic"] == "vigie-ops"
    assert payload["title"] == MESSAGE["title"]
    assert payload["message"] == MESSAGE["body"]


def test_mattermost_chat_hook_receives_the_text(hook):
    before = len(hook.received())
    assert channels.deliver(f"mmost://127.0.0.1:{hook.port}/hooktoken123", MESSAGE).ok
    arrival = hook.wait_for(before + 1)[before]
    assert arrival.path == "/hooks/hooktoken123"
    text = arrival.json()["text"]
    assert MESSAGE["title"] in text and "alerts.html?id=7" in text


def test_mail_reaches_the_smtp_server_with_subject_body_and_key(smtp):
    before = len(smtp.mails())
    outcome = channels.deliver(smtp.mailto("oncall@example.org"), MESSAGE, key="vigie-42")
    assert outcome.ok, outcome.answer
    mail = smtp.wait_for(before + 1)[-1]
    assert mail["Subject"] == MESSAGE["title"]
    assert mail["To"] == "oncall@example.org"
    assert mail["X-Vigie-Notification"] == "vigie-42"
    text = mail.get_payload(decode=True).decode()
    assert "CRITICAL opened: edge-rt-02" in text and "http://127.0.0.1:8080/alerts.html?id=7" in text


def test_a_receiver_that_fails_gives_a_failed_outcome_with_its_answer(hook):
    hook.status = 503
    try:
        outcome = channels.deliver(f"json://127.0.0.1:{hook.port}/hook", MESSAGE)
    finally:
        hook.status = 200
    assert not outcome.ok
    assert "503" in outcome.answer


def test_a_channel_that_is_down_gives_a_failed_outcome_quickly():
    down = Receiver().start()
    port = down.port
    down.stop()
    outcome = channels.deliver(f"json://127.0.0.1:{port}/hook", MESSAGE)
    assert not outcome.ok and outcome.seconds < 5
    assert outcome.answer
