"""Instagram Direct messages of a professional account linked to a Facebook Page."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import BaseModel, Field

from meridian.channels.meta.platform import PageConfig, PageMessagingChannel


class InstagramConfig(PageConfig):
    # Instagram webhooks name the Instagram professional account in ``entry.id``,
    # not the Page ("Webhooks for Instagram Messaging"); without it every entry
    # signed for the app is taken, as there is nothing to tell accounts apart.
    instagram_account_id: str | None = Field(default=None, pattern=r"^\d+$")


class InstagramChannel(PageMessagingChannel):
    kind: ClassVar[str] = "instagram"
    config_model: ClassVar[type[BaseModel]] = InstagramConfig
    webhook_object: ClassVar[str] = "instagram"
    # "Send a Message": "Message text must be UTF-8 and be a 1000 bytes or less".
    text_limit: ClassVar[int] = 1000
    text_limit_in_utf8_bytes: ClassVar[bool] = True

    def owned_ids(self, config: Mapping[str, Any]) -> frozenset[str] | None:
        account = config.get("instagram_account_id")
        if not account:
            return None
        return frozenset({str(account), str(config.get("page_id") or "")})
