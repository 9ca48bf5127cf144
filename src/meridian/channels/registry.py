"""Every channel Meridian speaks, by kind. Adding one: docs/channels/adding-a-channel.md."""

from __future__ import annotations

from meridian.channels.api.adapter import ApiChannel
from meridian.channels.base import ChannelAdapter
from meridian.channels.email.adapter import EmailChannel
from meridian.channels.instagram.adapter import InstagramChannel
from meridian.channels.line.adapter import LineChannel
from meridian.channels.messenger.adapter import MessengerChannel
from meridian.channels.sms.adapter import TwilioSmsChannel
from meridian.channels.telegram.adapter import TelegramChannel
from meridian.channels.webchat.adapter import WebchatChannel
from meridian.channels.whatsapp.adapter import WhatsAppChannel

CHANNELS: dict[str, ChannelAdapter] = {
    ApiChannel.kind: ApiChannel(),
    EmailChannel.kind: EmailChannel(),
    WhatsAppChannel.kind: WhatsAppChannel(),
    MessengerChannel.kind: MessengerChannel(),
    InstagramChannel.kind: InstagramChannel(),
    TelegramChannel.kind: TelegramChannel(),
    LineChannel.kind: LineChannel(),
    TwilioSmsChannel.kind: TwilioSmsChannel(),
    WebchatChannel.kind: WebchatChannel(),
}


def get_adapter(kind: str) -> ChannelAdapter:
    try:
        return CHANNELS[kind]
    except KeyError:
        raise LookupError(f"no adapter for channel {kind!r}") from None
