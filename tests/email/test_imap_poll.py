from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from imapclient import IMAPClient  # type: ignore[import-untyped]

from meridian.channels.email.config import Security
from meridian.channels.email.imap_poll import (
    ImapCursor,
    ImapError,
    fetch_new,
    fetch_uids,
    idle_wait,
)
from meridian.channels.email.parse import parse_email
from tests.email.dovecot import Dovecot

Eml = Callable[[str], bytes]


def numbered(n: int) -> bytes:
    return (
        f"From: customer{n}@example.com\r\nTo: support@acme.example\r\n"
        f"Subject: Question {n}\r\nMessage-ID: <q{n}@example.com>\r\n\r\nQuestion {n}\r\n"
    ).encode()


def subjects(messages: list[tuple[int, bytes | None]]) -> list[str]:
    return [parse_email(raw).subject for _, raw in messages if raw is not None]


async def test_first_poll_reads_all_in_order_then_only_new(mailbox: Dovecot, eml: Eml) -> None:
    config = mailbox.config()
    empty, start = await fetch_new(config, None)
    assert empty == [] and start.last_uid == 0

    mailbox.append(numbered(1), eml("shift_jis"), numbered(3))

    messages, cursor = await fetch_new(config, None)
    assert [uid for uid, _ in messages] == [1, 2, 3]
    assert subjects(messages) == ["Question 1", "請求書について（㈱髙橋商事）", "Question 3"]
    assert messages[1][1] == eml("shift_jis")  # byte for byte
    assert cursor.last_uid == 3

    again, same = await fetch_new(config, cursor)
    assert again == [] and same == cursor

    mailbox.append(numbered(4), numbered(5))
    newer, cursor = await fetch_new(config, cursor)
    assert subjects(newer) == ["Question 4", "Question 5"]
    assert cursor.last_uid == 5
    # Polling must not mark the customer's mail as read for humans using the mailbox.
    with mailbox.client() as client:
        client.select_folder(mailbox.folder, readonly=True)
        assert set(client.search(["UNSEEN"])) == {1, 2, 3, 4, 5}


async def test_batches_and_limit_keep_uid_order(mailbox: Dovecot) -> None:
    mailbox.append(*(numbered(n) for n in range(1, 8)))
    config = mailbox.config()
    first, cursor = await fetch_new(config, None, limit=5, batch_size=2)
    assert subjects(first) == [f"Question {n}" for n in range(1, 6)]
    rest, cursor = await fetch_new(config, cursor, limit=5, batch_size=2)
    assert subjects(rest) == ["Question 6", "Question 7"]
    assert cursor.last_uid == 7


async def test_uidvalidity_change_resyncs_from_the_start(mailbox: Dovecot) -> None:
    mailbox.append(numbered(1), numbered(2))
    config = mailbox.config()
    _, cursor = await fetch_new(config, None)
    assert cursor.last_uid == 2

    # The mailbox is recreated (restored from backup, say): old UIDs mean nothing now.
    with mailbox.client() as client:
        client.delete_folder(mailbox.folder)
        client.create_folder(mailbox.folder)
    mailbox.append(numbered(1), numbered(2), numbered(3))
    messages, new_cursor = await fetch_new(config, cursor)
    assert new_cursor.uidvalidity != cursor.uidvalidity
    assert subjects(messages) == ["Question 1", "Question 2", "Question 3"]
    assert new_cursor.last_uid == 3


async def test_server_down_is_transient_and_the_next_poll_backfills(dovecot: Dovecot) -> None:
    dovecot.append(numbered(1))
    config = dovecot.config()
    _, cursor = await fetch_new(config, None)

    dovecot.stop()
    with pytest.raises(ImapError) as caught:
        await fetch_new(config, cursor, io_timeout=2)
    assert caught.value.permanent is False
    # Mail keeps arriving while the IMAP server is down.
    dovecot.deliver_to_maildir(numbered(2))
    dovecot.deliver_to_maildir(numbered(3))

    dovecot.start()
    messages, cursor = await fetch_new(config, cursor)
    assert sorted(subjects(messages)) == ["Question 2", "Question 3"]
    assert [uid for uid, _ in messages] == [2, 3]
    assert cursor == ImapCursor(cursor.uidvalidity, 3)


@pytest.mark.parametrize("security", ["ssl", "starttls"])
async def test_tls(mailbox: Dovecot, security: Security) -> None:
    mailbox.append(numbered(1))
    context = mailbox.cert.client_context()
    messages, _ = await fetch_new(mailbox.config(security), None, ssl_context=context)
    assert subjects(messages) == ["Question 1"]


async def test_untrusted_certificate_is_permanent(mailbox: Dovecot) -> None:
    with pytest.raises(ImapError) as caught:
        await fetch_new(mailbox.config("ssl"), None)
    assert caught.value.permanent


async def test_wrong_password_is_permanent(dovecot: Dovecot) -> None:
    # A server of its own: Dovecot slows every later login from the same address
    # after a failed one (its auth penalty), which would stall the other tests.
    config = dovecot.config().model_copy(update={"password": "wrong"})
    with pytest.raises(ImapError) as caught:
        await fetch_new(config, None)
    assert caught.value.permanent
    assert "login failed" in str(caught.value)


async def test_missing_folder_is_permanent(mailbox: Dovecot) -> None:
    with pytest.raises(ImapError) as caught:
        await fetch_new(mailbox.config(folder="NoSuchFolder"), None)
    assert caught.value.permanent


def test_a_message_the_server_does_not_return_is_reported_not_fatal(mailbox: Dovecot) -> None:
    mailbox.append(numbered(1), numbered(2))
    with mailbox.client() as client:
        client.select_folder(mailbox.folder, readonly=True)
        # UID 9 was expunged (or never existed) between SEARCH and FETCH.
        result = fetch_uids(client, [1, 9, 2])
    assert [(uid, raw is not None) for uid, raw in result] == [(1, True), (9, False), (2, True)]


def test_a_batch_the_server_refuses_is_retried_one_by_one(mailbox: Dovecot) -> None:
    mailbox.append(numbered(1), numbered(2))

    class RefusesBatches:
        """A real connection whose server says NO to multi-message FETCHes, as some
        servers do when one message in the set is corrupt on their side."""

        def __init__(self, client: IMAPClient) -> None:
            self.client = client

        def fetch(self, uids: list[int], items: list[bytes]) -> dict[int, dict[bytes, bytes]]:
            if len(uids) > 1:
                raise IMAPClient.Error("FETCH failed: message 2 is corrupted")
            return self.client.fetch(uids, items)  # type: ignore[no-any-return]

    with mailbox.client() as client:
        client.select_folder(mailbox.folder, readonly=True)
        result = fetch_uids(RefusesBatches(client), [1, 2])
    assert subjects(result) == ["Question 1", "Question 2"]


async def test_idle_wakes_up_when_mail_arrives(mailbox: Dovecot) -> None:
    config = mailbox.config()
    waiting = asyncio.create_task(idle_wait(config, wait_seconds=10))
    await asyncio.sleep(0.5)  # let the IDLE command reach the server
    started = asyncio.get_running_loop().time()
    await asyncio.to_thread(mailbox.append, numbered(1))
    assert await waiting is True
    assert asyncio.get_running_loop().time() - started < 5


async def test_idle_times_out_quietly(mailbox: Dovecot) -> None:
    assert await idle_wait(mailbox.config(), wait_seconds=0.3) is False


def test_cursor_json_round_trip() -> None:
    cursor = ImapCursor(uidvalidity=1795456346, last_uid=42)
    assert ImapCursor.from_json(cursor.to_json()) == cursor
    assert ImapCursor.from_json(None) is None
