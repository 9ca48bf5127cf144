from __future__ import annotations

from fastapi import APIRouter

from meridian.auth.deps import CurrentPrincipal, Session, SettingsPrincipal
from meridian.bot import settings
from meridian.bot.schemas import BotSettingsIn, BotSettingsOut

router = APIRouter(prefix="/bot", tags=["bot"])


@router.get("/settings", response_model=BotSettingsOut)
async def get_settings(principal: CurrentPrincipal, session: Session) -> BotSettingsOut:
    return await settings.get_settings_out(session, workspace_id=principal.workspace_id)


@router.put("/settings", response_model=BotSettingsOut)
async def put_settings(data: BotSettingsIn, principal: SettingsPrincipal, session: Session) -> BotSettingsOut:
    return await settings.update_settings(session=session, principal=principal, data=data)
