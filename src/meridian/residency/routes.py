from __future__ import annotations

from fastapi import APIRouter

from meridian.auth.deps import ResidencyPrincipal, Session
from meridian.contacts.schemas import ContactOut
from meridian.contacts.service import to_out_many
from meridian.core.errors import path_id
from meridian.residency.schemas import MoveRegion
from meridian.residency.service import move_contact_region

router = APIRouter(tags=["contacts"])


@router.post("/contacts/{contact_id}/move-region", response_model=ContactOut)
async def move_region(
    contact_id: str, data: MoveRegion, principal: ResidencyPrincipal, session: Session
) -> ContactOut:
    contact = await move_contact_region(
        session=session,
        principal=principal,
        contact_id=path_id(contact_id, "contact"),
        region=data.region,
    )
    return (await to_out_many(session, [contact]))[0]
