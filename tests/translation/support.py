"""A per-test view of one shared stand-in vendor server."""

from __future__ import annotations

from dataclasses import dataclass

from tests.support.vendor_server import RecordedRequest, Responder, ScriptedResponse, VendorServer


@dataclass
class Vendor:
    """One test's private view of the shared stand-in server: its own URL path prefix.

    Stopping a VendorServer waits out serve_forever's 0.5 s poll, so the session shares
    one server, and each test's ``url`` (the adapter's ``api_base_url``) has a fresh prefix.
    """

    server: VendorServer
    prefix: str

    @property
    def url(self) -> str:
        return self.server.url + self.prefix

    def script(self, path: str, *responses: ScriptedResponse) -> None:
        self.server.script(self.prefix + path, *responses)

    def respond(self, path: str, responder: Responder) -> None:
        self.server.respond(self.prefix + path, responder)

    def requests_to(self, path: str) -> list[RecordedRequest]:
        return self.server.requests_to(self.prefix + path)
