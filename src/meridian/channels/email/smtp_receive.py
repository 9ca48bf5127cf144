"""Receiving mail by SMTP (aiosmtpd): a message is ours only once it is stored.

We answer 250 only after ``deliver`` returned (it commits to the database), and 451
when it raised, so the sending MTA keeps the message and tries again later: mail
is never acknowledged and then lost.

The server runs on the caller's event loop rather than in aiosmtpd's ``Controller``
thread, so ``deliver`` shares the loop, and the connection pool, of the application.

With ``lmtp=True`` it speaks LMTP (RFC 2033; aiosmtpd's ``LMTP``), for a mail server
that hands messages over locally: after DATA it answers once per recipient, in RCPT
order, delivering each one on its own, so one recipient's failure (451: the MTA retries
that one) never makes the MTA redeliver to those already stored.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any

from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP

log = logging.getLogger(__name__)

Deliver = Callable[[list[str], bytes], Awaitable[None]]
AcceptRecipient = Callable[[str], Awaitable[bool]]

DEFAULT_MAX_SIZE = 25 * 1024 * 1024


class _Handler:
    """aiosmtpd handler hooks (``handle_RCPT``, ``handle_DATA``)."""

    def __init__(self, deliver: Deliver, accept_recipient: AcceptRecipient | None) -> None:
        self._deliver = deliver
        self._accept_recipient = accept_recipient

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if self._accept_recipient is not None:
            try:
                accepted = await self._accept_recipient(address)
            except Exception:
                log.exception("checking SMTP recipient %s failed", address)
                return "451 4.3.0 Temporary failure, try again later"
            if not accepted:
                # Refusing at RCPT, not after DATA, avoids sending bounces to forged senders.
                return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw: bytes = envelope.original_content or b""
        recipients = [str(r) for r in envelope.rcpt_tos]
        try:
            await self._deliver(recipients, raw)
        except Exception:
            log.exception("storing an SMTP message for %s failed", recipients)
            return "451 4.3.0 Temporary failure storing the message, try again later"
        return "250 2.0.0 OK: stored"


class _LmtpHandler(_Handler):
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw: bytes = envelope.original_content or b""
        replies = []
        for recipient in (str(r) for r in envelope.rcpt_tos):
            try:
                await self._deliver([recipient], raw)
            except Exception:
                log.exception("storing an LMTP message for %s failed", recipient)
                replies.append(f"451 4.3.0 <{recipient}> temporary failure storing the message")
            else:
                replies.append(f"250 2.0.0 <{recipient}> stored")
        # aiosmtpd writes this as one reply; the CRLFs make it one line per recipient.
        return "\r\n".join(replies)


class SmtpReceiver:
    def __init__(
        self,
        host: str,
        port: int,
        deliver: Deliver,
        *,
        max_size: int = DEFAULT_MAX_SIZE,
        accept_recipient: AcceptRecipient | None = None,
        hostname: str | None = None,
        lmtp: bool = False,
    ) -> None:
        self.host = host
        self.requested_port = port
        self.max_size = max_size
        self.lmtp = lmtp
        self._handler = (_LmtpHandler if lmtp else _Handler)(deliver, accept_recipient)
        # getfqdn() would ask DNS, which can stall start-up for seconds.
        self._hostname = hostname or socket.gethostname()
        self._server: asyncio.Server | None = None

    @property
    def port(self) -> int:
        """The bound port (the real one when started with port 0)."""
        if self._server is None or not self._server.sockets:
            raise RuntimeError("the SMTP receiver is not running")
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self) -> None:
        loop = asyncio.get_running_loop()

        server_class = LMTP if self.lmtp else SMTP

        def protocol() -> asyncio.BaseProtocol:
            smtp: asyncio.BaseProtocol = server_class(
                self._handler,
                # aiosmtpd answers "552 Error: Too much mail data" past this, and
                # advertises it as SIZE so well-behaved clients do not even try.
                data_size_limit=self.max_size,
                enable_SMTPUTF8=True,
                hostname=self._hostname,
                loop=loop,
            )
            return smtp

        self._server = await loop.create_server(protocol, self.host, self.requested_port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> SmtpReceiver:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()


def make_smtp_server(
    host: str,
    port: int,
    deliver: Deliver,
    *,
    max_size: int = DEFAULT_MAX_SIZE,
    accept_recipient: AcceptRecipient | None = None,
    lmtp: bool = False,
) -> SmtpReceiver:
    """An SMTP (or LMTP) receiver; ``await server.start()`` (or ``async with``) to listen."""
    return SmtpReceiver(host, port, deliver, max_size=max_size, accept_recipient=accept_recipient, lmtp=lmtp)
