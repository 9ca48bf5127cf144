"""A real aiosmtpd server on 127.0.0.1:0 that records what it receives and can be
told to refuse, for testing the sending side."""

from __future__ import annotations

import asyncio
import ssl
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any, Literal

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    authenticated_as: str | None

    @property
    def message(self) -> EmailMessage:
        parsed = BytesParser(policy=policy.default).parsebytes(self.raw)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class RecordingHandler:
    received: list[Received] = field(default_factory=list)
    # e.g. "550 5.1.1 <x>: Recipient address rejected" to refuse every recipient.
    rcpt_reply: str | None = None
    data_reply: str | None = None
    credentials: tuple[str, str] | None = None

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_reply:
            return self.data_reply
        login = session.auth_data.login.decode() if session.authenticated else None
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content, login)
        )
        return "250 2.0.0 Ok: queued as TEST1"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and self.credentials == (
            auth_data.login.decode(),
            auth_data.password.decode(),
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


@asynccontextmanager
async def smtp_server(
    handler: RecordingHandler,
    *,
    tls: Literal["none", "starttls", "ssl"] = "none",
    server_context: ssl.SSLContext | None = None,
) -> AsyncIterator[int]:
    loop = asyncio.get_running_loop()

    def factory() -> SMTP:
        with warnings.catch_warnings():
            # "AUTH without TLS" is what the plain-socket tests are about.
            warnings.simplefilter("ignore", UserWarning)
            return _smtp()

    def _smtp() -> SMTP:
        return SMTP(
            handler,
            hostname="mx.test",
            loop=loop,
            tls_context=server_context if tls == "starttls" else None,
            require_starttls=tls == "starttls",
            authenticator=handler.authenticate if handler.credentials else None,
            auth_required=handler.credentials is not None,
            # aiosmtpd only counts STARTTLS as TLS, not an implicitly TLS socket.
            auth_require_tls=tls == "starttls",
        )

    server = await loop.create_server(factory, "127.0.0.1", 0, ssl=server_context if tls == "ssl" else None)
    try:
        yield int(server.sockets[0].getsockname()[1])
    finally:
        server.close()
        await server.wait_closed()
