"""The requester-facing confirmation of a data subject request, in their language.

Written when the request is registered and kept on it (``privacy_requests.result``), so
it survives the erasure it confirms: it holds the request's reference and dates, never
the person's data. Meridian does not send it by itself: after an erasure there is no
address left to send it to (the identities are shredded in the same transaction), so
the API and the privacy console hand it to whoever answers the requester.

The wording is the ``privacy_erase`` / ``privacy_export`` system template (editable per
locale by admins, canned/system.py), with the texts below as its shipped defaults.
The language is the contact's own (``contacts.locale``), else their conversation's,
else the workspace's default; a language without wording here falls back to English.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from babel.core import Locale
from babel.dates import format_date
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from meridian.canned import system as system_templates
from meridian.canned.system import SystemTexts
from meridian.contacts.models import Contact
from meridian.conversations.models import Conversation
from meridian.languages.tags import primary_language
from meridian.privacy.models import PrivacyRequest
from meridian.workspaces.models import Workspace

# The key in ``privacy_requests.result``.
CONFIRMATION = "confirmation"

# {received} and {due} are long-form dates in the requester's language, {ref} the
# request's id (what they quote when they write back).
WORDING: dict[str, dict[str, str]] = {
    "en": {
        "erase": "We received your request to erase your personal data on {received} "
        "(reference {ref}). We will complete it by {due}.",
        "export": "We received your request for a copy of your personal data on {received} "
        "(reference {ref}). We will provide it by {due}.",
    },
    "de": {
        "erase": "Wir haben Ihren Antrag auf Löschung Ihrer personenbezogenen Daten am {received} "
        "erhalten (Referenz {ref}). Wir erledigen ihn bis zum {due}.",
        "export": "Wir haben Ihren Antrag auf eine Kopie Ihrer personenbezogenen Daten am {received} "
        "erhalten (Referenz {ref}). Sie erhalten sie bis zum {due}.",
    },
    "fr": {
        "erase": "Nous avons reçu le {received} votre demande d'effacement de vos données "
        "personnelles (référence {ref}). Nous la traiterons au plus tard le {due}.",
        "export": "Nous avons reçu le {received} votre demande de copie de vos données "
        "personnelles (référence {ref}). Nous vous la fournirons au plus tard le {due}.",
    },
    "es": {
        "erase": "Recibimos el {received} su solicitud de supresión de sus datos personales "
        "(referencia {ref}). La completaremos antes del {due}.",
        "export": "Recibimos el {received} su solicitud de una copia de sus datos personales "
        "(referencia {ref}). Se la entregaremos antes del {due}.",
    },
    "pt": {
        "erase": "Recebemos em {received} sua solicitação de eliminação dos seus dados pessoais "
        "(referência {ref}). Vamos concluí-la até {due}.",
        "export": "Recebemos em {received} sua solicitação de cópia dos seus dados pessoais "
        "(referência {ref}). Vamos fornecê-la até {due}.",
    },
    "it": {
        "erase": "Abbiamo ricevuto il {received} la sua richiesta di cancellazione dei suoi dati "
        "personali (riferimento {ref}). La completeremo entro il {due}.",
        "export": "Abbiamo ricevuto il {received} la sua richiesta di una copia dei suoi dati "
        "personali (riferimento {ref}). Gliela forniremo entro il {due}.",
    },
    "nl": {
        "erase": "We hebben uw verzoek om uw persoonsgegevens te wissen op {received} ontvangen "
        "(referentie {ref}). We ronden het af vóór {due}.",
        "export": "We hebben uw verzoek om een kopie van uw persoonsgegevens op {received} ontvangen "
        "(referentie {ref}). U ontvangt die vóór {due}.",
    },
    "ja": {
        "erase": "{received}に個人データの削除のご依頼を受け付けました（参照番号 {ref}）。"
        "{due}までに対応いたします。",
        "export": "{received}に個人データのコピーのご依頼を受け付けました（参照番号 {ref}）。"
        "{due}までにお渡しします。",
    },
    "zh": {
        "erase": "我们已于{received}收到您删除个人数据的请求（编号 {ref}），将在{due}之前完成。",
        "export": "我们已于{received}收到您获取个人数据副本的请求（编号 {ref}），将在{due}之前提供。",
    },
    "ko": {
        "erase": "{received}에 개인정보 삭제 요청을 접수했습니다(참조 번호 {ref}). {due}까지 처리하겠습니다.",
        "export": "{received}에 개인정보 사본 요청을 접수했습니다(참조 번호 {ref}). "
        "{due}까지 제공하겠습니다.",
    },
    "ar": {
        "erase": "تلقّينا في {received} طلبك بمحو بياناتك الشخصية (المرجع {ref}). سننجزه في موعد أقصاه {due}.",
        "export": "تلقّينا في {received} طلبك بالحصول على نسخة من بياناتك الشخصية (المرجع {ref}). "
        "سنقدّمها لك في موعد أقصاه {due}.",
    },
    "hi": {
        "erase": "हमें {received} को आपके व्यक्तिगत डेटा को मिटाने का अनुरोध मिला (संदर्भ {ref})। "
        "हम इसे {due} तक पूरा करेंगे।",
        "export": "हमें {received} को आपके व्यक्तिगत डेटा की प्रति का अनुरोध मिला (संदर्भ {ref})। "
        "हम इसे {due} तक उपलब्ध कराएंगे।",
    },
}


@dataclass(frozen=True)
class Confirmation:
    language: str
    text: str

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def templates(type: str) -> dict[str, str]:
    """The shipped wording of ``type`` as system-template sources (``{{ received }}``...),
    the defaults of the ``privacy_erase`` / ``privacy_export`` system templates."""
    return {lang: re.sub(r"\{(\w+)\}", r"{{ \1 }}", texts[type]) for lang, texts in WORDING.items()}


def confirmation_for(
    *,
    type: str,
    language: str | None,
    reference: str,
    received_at: datetime,
    due_at: datetime,
    custom: Mapping[str, Mapping[str, str]] | None = None,
    default_locale: str = "en",
) -> Confirmation:
    """The confirmation of a ``type`` ("erase" or "export") request, in ``language``.

    ``custom`` are the workspace's system-template overrides: an admin's wording for a
    locale wins over the shipped one, with the usual fallback chain (pt-BR -> pt ->
    workspace default -> English). No personal data is offered to the template."""
    texts = SystemTexts(
        custom=custom or {}, default_locale=default_locale, wanted=language, timezone=None, variables={}
    )

    def dates(locale: Locale) -> dict[str, str]:
        return {
            "received": format_date(received_at.date(), format="long", locale=locale),
            "due": format_date(due_at.date(), format="long", locale=locale),
        }

    rendered = texts.render(f"privacy_{type}", values={"ref": reference}, locale_values=dates)
    same = language is not None and primary_language(language) == primary_language(rendered.locale)
    return Confirmation(language if same and language else rendered.locale, rendered.body)


async def requester_language(session: AsyncSession, contact: Contact) -> str:
    if contact.locale:
        return contact.locale
    spoken = await session.scalar(
        select(Conversation.language)
        .where(Conversation.contact_id == contact.id, Conversation.language.is_not(None))
        .order_by(Conversation.created_at.desc())
        .limit(1)
    )
    if spoken:
        return spoken
    workspace = await session.get(Workspace, contact.workspace_id)
    return workspace.default_locale if workspace else "en"


async def confirm_request(
    session: AsyncSession, *, contact: Contact, request: PrivacyRequest, received_at: datetime
) -> None:
    """Write the confirmation onto a just-flushed request (its id is the reference)."""
    workspace = await session.get(Workspace, contact.workspace_id)
    confirmation = confirmation_for(
        type=request.type,
        language=await requester_language(session, contact),
        reference=str(request.id),
        received_at=received_at,
        due_at=request.due_at,
        custom=await system_templates.overrides(session, workspace_id=contact.workspace_id),
        default_locale=workspace.default_locale if workspace else "en",
    )
    request.result = {**request.result, CONFIRMATION: confirmation.as_json()}
