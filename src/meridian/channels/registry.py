"""Every channel Meridian speaks, by kind. Adding one: docs/channels/adding-a-channel.md."""

from __future__ import annotations

from meridian.channels.api.adapter import ApiChannel
from meridian.channels.base import ChannelAdapter

CHANNELS: dict[str, ChannelAdapter] = {
    ApiChannel.kind: ApiChannel(),
}


def get_adapter(kind: str) -> ChannelAdapter:
    try:
        return CHANNELS[kind]
    except KeyError:
        raise LookupError(f"no adapter for channel {kind!r}") from None
