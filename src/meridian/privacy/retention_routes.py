from __future__ import annotations

from fastapi import APIRouter, Response

from meridian.auth.deps import PrivacyManagePrincipal, PrivacyViewPrincipal, Session
from meridian.core.errors import path_id
from meridian.privacy import policies
from meridian.privacy.retention import Due, apply_retention
from meridian.privacy.schemas import (
    RedactionSettings,
    RetentionCandidate,
    RetentionPolicyIn,
    RetentionPolicyList,
    RetentionPolicyOut,
    RetentionPolicyUpdate,
    RetentionReport,
)

router = APIRouter(tags=["privacy"])


@router.get("/retention-policies", response_model=RetentionPolicyList)
async def list_policies(principal: PrivacyViewPrincipal, session: Session) -> RetentionPolicyList:
    rows = await policies.list_policies(session, workspace_id=principal.workspace_id)
    return RetentionPolicyList(items=[policies.to_out(r) for r in rows])


@router.post("/retention-policies", response_model=RetentionPolicyOut, status_code=201)
async def create_policy(
    data: RetentionPolicyIn, principal: PrivacyManagePrincipal, session: Session
) -> RetentionPolicyOut:
    return policies.to_out(await policies.create_policy(session=session, principal=principal, data=data))


@router.get("/retention-policies/{policy_id}", response_model=RetentionPolicyOut)
async def get_policy(policy_id: str, principal: PrivacyViewPrincipal, session: Session) -> RetentionPolicyOut:
    row = await policies.get_policy(
        session, workspace_id=principal.workspace_id, policy_id=path_id(policy_id, "retention policy")
    )
    return policies.to_out(row)


@router.patch("/retention-policies/{policy_id}", response_model=RetentionPolicyOut)
async def update_policy(
    policy_id: str, data: RetentionPolicyUpdate, principal: PrivacyManagePrincipal, session: Session
) -> RetentionPolicyOut:
    row = await policies.update_policy(
        session=session, principal=principal, policy_id=path_id(policy_id, "retention policy"), data=data
    )
    return policies.to_out(row)


@router.delete("/retention-policies/{policy_id}", status_code=204)
async def delete_policy(policy_id: str, principal: PrivacyManagePrincipal, session: Session) -> Response:
    await policies.delete_policy(
        session=session, principal=principal, policy_id=path_id(policy_id, "retention policy")
    )
    return Response(status_code=204)


def _candidate(item: Due) -> RetentionCandidate:
    return RetentionCandidate(
        conversation_id=str(item.conversation.id),
        number=item.conversation.number,
        contact_id=str(item.contact.id),
        region=item.contact.region,
        channel=item.channel,
        closed_at=item.closed_at,
        policy_id=str(item.policy.id),
        max_age_days=item.policy.max_age_days,
        erases_contact=item.erases_contact,
    )


@router.get("/retention/dry-run", response_model=RetentionReport)
async def retention_dry_run(principal: PrivacyViewPrincipal, session: Session) -> RetentionReport:
    """What the next retention run would delete (one batch), without deleting it."""
    due = await apply_retention(session, workspace_id=principal.workspace_id, dry_run=True)
    return RetentionReport(dry_run=True, items=[_candidate(d) for d in due], total=len(due))


@router.get("/settings/redaction", response_model=RedactionSettings)
async def get_redaction(principal: PrivacyViewPrincipal, session: Session) -> RedactionSettings:
    return RedactionSettings(
        patterns=await policies.redaction_patterns(session, workspace_id=principal.workspace_id)
    )


@router.put("/settings/redaction", response_model=RedactionSettings)
async def put_redaction(
    data: RedactionSettings, principal: PrivacyManagePrincipal, session: Session
) -> RedactionSettings:
    patterns = await policies.set_redaction_patterns(
        session=session, principal=principal, patterns=data.patterns
    )
    return RedactionSettings(patterns=patterns)
