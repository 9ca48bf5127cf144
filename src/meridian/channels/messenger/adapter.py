"""Facebook Messenger: a Page's conversations, over the Messenger Platform."""

from __future__ import annotations

from typing import ClassVar

from meridian.channels.meta.platform import PageConfig, PageMessagingChannel

MessengerConfig = PageConfig


class MessengerChannel(PageMessagingChannel):
    kind: ClassVar[str] = "messenger"
    webhook_object: ClassVar[str] = "page"
    # Send API reference: "text ... Must be UTF-8 and less than 2000 characters".
    text_limit: ClassVar[int] = 1999
    # Send API reference, attachment payload: ``is_reusable`` lets Meta cache the file.
    reusable_attachments: ClassVar[bool] = True
