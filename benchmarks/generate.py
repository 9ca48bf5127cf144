"""Fill one workspace with a year of helpdesk traffic, fast, through COPY.

    python -m benchmarks.generate [--scale 1.0] [--data-dir DIR]

At scale 1: 1,000,000 conversations and 10,000,000 messages over 50 teams, 500 agents,
20 languages (Latin, CJK, Arabic, Cyrillic, Devanagari and Thai scripts) and 12 months,
with tags, priorities, statuses and SLA due times. ``--scale 0.01`` is the development size
(teams and agents stay at 50/500).

Rows go into the real tables in the app's formats: every contact gets a real data key
(random, wrapped by the region key, in ``vault_keys``), every message body and contact
name is sealed with AES-256-GCM under that key (``vault_messages``, ``vault_contacts``)
and its normalized text goes into the search index (``vault_message_search``), exactly
as ``meridian.vault.service.put_message`` writes them. The reporting tables get one fact
per conversation and the rollups summed by the analytics code itself. The app then
serves these rows like any others.

To load 10M rows in minutes the generator, like any bulk loader, drops the secondary
indexes of the tables it fills and builds them again afterwards (the definitions are read
from ``pg_indexes`` first, so they come back exactly), and skips foreign-key triggers
(``session_replication_role = replica``) for rows it builds consistent by construction.
What it does not write: contact identities (no channel handle; the contacts are as if
created by the API), SLA clocks (the ``sla`` summary on each conversation carries the due
times the inbox sorts by; live clocks would have the SLA job breach 10,000 open
conversations the moment a server starts) and domain events.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from benchmarks._common import DEFAULT_DATA_DIR, plain_url, record, start_database, use_data_dir
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

WORKSPACE_NAME = "Meridian benchmark"
BENCH_AGENT = "bench-agent-0@bench.meridian.test"
LONG_THREAD = 200
YEAR = timedelta(days=365)

# (tag, script): two or three sentences a customer or an agent would write.
TEXTS: dict[str, list[str]] = {
    "en": [
        "Hi, my order has not arrived yet and the tracking page shows no update since Monday.",
        "I was charged twice for the same subscription this month, please refund one payment.",
        "The app crashes every time I try to upload a photo from my gallery.",
        "Can I change the delivery address after the parcel has been shipped?",
        "Thanks for your help, the replacement works perfectly now.",
        "How do I reset my password if I no longer have access to my old email?",
    ],
    "es": [
        "Hola, mi pedido todavía no ha llegado y el seguimiento no muestra cambios desde el lunes.",
        "Me cobraron dos veces la misma suscripción este mes, por favor devuelvan un pago.",
        "La aplicación se cierra cada vez que intento subir una foto.",
        "¿Puedo cambiar la dirección de entrega después del envío?",
        "Gracias por la ayuda, el reemplazo funciona perfectamente.",
    ],
    "de": [
        "Hallo, meine Bestellung ist noch nicht angekommen und die Sendungsverfolgung zeigt nichts Neues.",
        "Mir wurde das Abonnement diesen Monat zweimal berechnet, bitte erstatten Sie eine Zahlung.",
        "Die App stürzt jedes Mal ab, wenn ich ein Foto hochladen möchte.",
        "Kann ich die Lieferadresse nach dem Versand noch ändern?",
        "Vielen Dank für die schnelle Hilfe, der Ersatz funktioniert einwandfrei.",
    ],
    "fr": [
        "Bonjour, ma commande n'est toujours pas arrivée et le suivi n'a pas bougé depuis lundi.",
        "J'ai été débité deux fois pour le même abonnement ce mois-ci, merci de rembourser un paiement.",
        "L'application plante chaque fois que j'essaie d'envoyer une photo.",
        "Puis-je modifier l'adresse de livraison après l'expédition du colis ?",
        "Merci pour votre aide, le produit de remplacement fonctionne parfaitement.",
    ],
    "pt-BR": [
        "Olá, meu pedido ainda não chegou e o rastreamento não mostra atualização desde segunda.",
        "Fui cobrado duas vezes pela mesma assinatura este mês, por favor estornem um pagamento.",
        "O aplicativo fecha toda vez que tento enviar uma foto.",
        "Posso mudar o endereço de entrega depois que o pacote foi enviado?",
        "Obrigado pela ajuda, a troca funciona perfeitamente.",
    ],
    "it": [
        "Salve, il mio ordine non è ancora arrivato e il tracciamento non si aggiorna da lunedì.",
        "Mi avete addebitato due volte lo stesso abbonamento, per favore rimborsate un pagamento.",
        "L'app si chiude ogni volta che provo a caricare una foto.",
        "Grazie per l'aiuto, il prodotto sostitutivo funziona benissimo.",
    ],
    "nl": [
        "Hallo, mijn bestelling is nog niet aangekomen en de track-and-trace zegt niets nieuws.",
        "Ik heb deze maand twee keer betaald voor hetzelfde abonnement, graag één betaling terug.",
        "De app loopt vast zodra ik een foto probeer te uploaden.",
        "Bedankt voor de hulp, het vervangende product werkt perfect.",
    ],
    "tr": [
        "Merhaba, siparişim hâlâ gelmedi ve kargo takibi pazartesiden beri güncellenmedi.",
        "Bu ay aynı abonelik için iki kez ücret alındı, lütfen bir ödemeyi iade edin.",
        "Uygulama her fotoğraf yüklemeye çalıştığımda kapanıyor.",
        "Yardımınız için teşekkürler, yeni ürün sorunsuz çalışıyor.",
    ],
    "pl": [
        "Dzień dobry, moje zamówienie jeszcze nie dotarło, a śledzenie przesyłki stoi od poniedziałku.",
        "W tym miesiącu pobrano opłatę za subskrypcję dwa razy, proszę o zwrot jednej płatności.",
        "Aplikacja zamyka się za każdym razem, gdy próbuję dodać zdjęcie.",
        "Dziękuję za pomoc, nowy produkt działa bez zarzutu.",
    ],
    "sv": [
        "Hej, min beställning har inte kommit än och spårningen har inte uppdaterats sedan måndag.",
        "Jag har debiterats två gånger för samma prenumeration, vänligen återbetala en betalning.",
        "Appen kraschar varje gång jag försöker ladda upp ett foto.",
        "Tack för hjälpen, ersättningen fungerar perfekt.",
    ],
    "id": [
        "Halo, pesanan saya belum sampai dan pelacakan tidak berubah sejak Senin.",
        "Saya ditagih dua kali untuk langganan yang sama bulan ini, mohon kembalikan satu pembayaran.",
        "Aplikasinya selalu tertutup setiap kali saya mengunggah foto.",
        "Terima kasih atas bantuannya, barang pengganti berfungsi dengan baik.",
    ],
    "vi": [
        "Xin chào, đơn hàng của tôi vẫn chưa đến và trang theo dõi không cập nhật từ thứ Hai.",
        "Tôi bị trừ tiền hai lần cho cùng một gói đăng ký, vui lòng hoàn lại một khoản.",
        "Ứng dụng bị tắt mỗi khi tôi tải ảnh lên.",
        "Cảm ơn bạn đã hỗ trợ, sản phẩm thay thế hoạt động tốt.",
    ],
    "ja": [
        "注文した商品がまだ届きません。追跡ページも月曜日から更新されていません。",
        "今月、同じサブスクリプションの料金が二重に請求されています。一件返金してください。",
        "ギャラリーから写真をアップロードしようとするとアプリが落ちます。",
        "発送後に配送先の住所を変更できますか。",
        "ご対応ありがとうございました。交換品は問題なく使えています。",
    ],
    "zh-Hans": [
        "你好，我的订单还没有到，物流信息从周一开始就没有更新。",
        "这个月同一个订阅被扣了两次款，请退还其中一笔。",
        "每次从相册上传照片时应用都会闪退。",
        "包裹发出后还能修改收货地址吗？",
        "谢谢你们的帮助，换货后的产品使用正常。",
    ],
    "zh-Hant": [
        "你好，我的訂單還沒有送到，物流資訊從週一開始就沒有更新。",
        "這個月同一個訂閱被扣了兩次款，請退還其中一筆。",
        "每次上傳照片時應用程式都會當機。",
        "謝謝你們的協助，換貨後的產品使用正常。",
    ],
    "ko": [
        "안녕하세요, 주문한 상품이 아직 도착하지 않았고 배송 조회도 월요일 이후로 그대로입니다.",
        "이번 달에 같은 구독료가 두 번 결제되었습니다. 한 건 환불해 주세요.",
        "사진을 올리려고 할 때마다 앱이 종료됩니다.",
        "도와주셔서 감사합니다. 교환받은 제품은 잘 작동합니다.",
    ],
    "ar": [
        "مرحبا، لم يصل طلبي بعد وصفحة التتبع لم تتغير منذ يوم الاثنين.",
        "تم خصم قيمة الاشتراك نفسه مرتين هذا الشهر، أرجو استرداد إحدى الدفعتين.",
        "يتوقف التطبيق كلما حاولت رفع صورة من المعرض.",
        "هل يمكنني تغيير عنوان التوصيل بعد شحن الطرد؟",
        "شكرا على المساعدة، المنتج البديل يعمل بشكل ممتاز.",
    ],
    "ru": [
        "Здравствуйте, мой заказ ещё не пришёл, а отслеживание не обновлялось с понедельника.",
        "В этом месяце с меня дважды списали плату за подписку, верните, пожалуйста, один платёж.",
        "Приложение закрывается каждый раз, когда я пытаюсь загрузить фото.",
        "Спасибо за помощь, замена работает отлично.",
    ],
    "hi": [
        "नमस्ते, मेरा ऑर्डर अभी तक नहीं आया है और ट्रैकिंग सोमवार से अपडेट नहीं हुई है।",
        "इस महीने एक ही सदस्यता के लिए मुझसे दो बार पैसे काटे गए, कृपया एक भुगतान वापस करें।",
        "जब भी मैं फोटो अपलोड करता हूँ ऐप बंद हो जाता है।",
        "मदद के लिए धन्यवाद, बदला हुआ उत्पाद ठीक काम कर रहा है।",
    ],
    "th": [
        "สวัสดีครับ คำสั่งซื้อของผมยังไม่มาถึง และสถานะการจัดส่งไม่เปลี่ยนตั้งแต่วันจันทร์",
        "เดือนนี้ถูกเรียกเก็บเงินค่าสมาชิกซ้ำสองครั้ง กรุณาคืนเงินหนึ่งรายการ",
        "แอปปิดตัวเองทุกครั้งที่อัปโหลดรูปภาพ",
        "ขอบคุณสำหรับความช่วยเหลือ สินค้าที่เปลี่ยนให้ใช้งานได้ดี",
    ],
}
LANGUAGES = list(TEXTS)
# Zipf-like: English first, a long tail.
LANGUAGE_WEIGHTS = [1 / (rank + 1) ** 0.8 for rank in range(len(LANGUAGES))]
CHANNELS = ["email", "whatsapp", "webchat", "api", "sms", "telegram", "messenger", "instagram", "line"]
TAGS = [
    "billing", "refund", "shipping", "returns", "account", "login", "bug", "crash", "feedback",
    "urgent", "vip", "order-status", "cancellation", "invoice", "address-change", "warranty",
    "damaged", "missing-item", "subscription", "promo", "gdpr", "api", "integration", "mobile",
    "web", "payment-failed", "chargeback", "upgrade", "downgrade", "onboarding",
]  # fmt: skip
PRIORITIES = (["low"] * 2) + (["normal"] * 12) + (["high"] * 4) + ["urgent"]
TIERS = ["free"] * 14 + ["pro"] * 5 + ["vip"]
TIMEZONES = ["Europe/Berlin", "America/New_York", "America/Sao_Paulo", "Asia/Tokyo", "Asia/Dubai"]


def id_at(at: datetime, rng: random.Random) -> uuid.UUID:
    """A UUIDv7 for a moment in the past (meridian.core.ids.new_id uses the clock)."""
    ms = int(at.timestamp() * 1000)
    value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | rng.getrandbits(12) << 64
    return uuid.UUID(int=value | 0b10 << 62 | rng.getrandbits(62))


def iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


@dataclass
class Team:
    id: uuid.UUID
    languages: list[str]
    agents: list[uuid.UUID] = field(default_factory=list)


@dataclass
class Plan:
    scale: float
    conversations: int
    messages: int
    contacts: int
    teams: int = 50
    agents: int = 500


def plan_for(scale: float) -> Plan:
    conversations = max(1000, round(1_000_000 * scale))
    return Plan(scale, conversations, conversations * 10, max(400, round(conversations * 0.4)))


async def create_workspace(url: str, plan: Plan, rng: random.Random) -> tuple[uuid.UUID, list[Team]]:
    """Workspace, teams, agents and inboxes through the ORM (a few hundred rows)."""
    from sqlalchemy import select

    from meridian.agents.models import Agent, AgentTeam
    from meridian.auth.passwords import hash_password
    from meridian.db.engine import make_database
    from meridian.inboxes.models import Inbox
    from meridian.teams.models import Team as TeamRow
    from meridian.workspaces.models import Workspace
    from meridian.workspaces.service import create_workspace

    db = make_database(url, pool_size=1)
    try:
        async with db.session() as session:
            existing = await session.scalar(select(Workspace.id).where(Workspace.name == WORKSPACE_NAME))
            if existing is not None:
                raise SystemExit(f"{WORKSPACE_NAME!r} exists already ({existing}); use a fresh --data-dir")
            workspace = await create_workspace(session, name=WORKSPACE_NAME, languages=LANGUAGES)
            teams = []
            password = hash_password("bench-password")
            for t in range(plan.teams):
                langs = ["en", *rng.sample(LANGUAGES[1:], 3)]
                row = TeamRow(
                    workspace_id=workspace.id,
                    name=f"Team {t + 1:02d}",
                    timezone=TIMEZONES[t % len(TIMEZONES)],
                    languages=langs,
                    region="default",
                )
                session.add(row)
                await session.flush()
                teams.append(Team(row.id, langs))
            for a in range(plan.agents):
                team = teams[a % plan.teams]
                agent = Agent(
                    workspace_id=workspace.id,
                    email=f"bench-agent-{a}@bench.meridian.test" if a else BENCH_AGENT,
                    name=f"Agent {a}",
                    password_hash=password,
                    role="agent",
                    languages=team.languages[:2],
                    locale="en",
                    timezone="UTC",
                    skills=[],
                    max_concurrent=8,
                    availability="online",
                )
                session.add(agent)
                await session.flush()
                team.agents.append(agent.id)
                session.add(AgentTeam(agent_id=agent.id, team_id=team.id))
            session.add(
                Agent(
                    workspace_id=workspace.id,
                    email="bench-admin@bench.meridian.test",
                    name="Bench admin",
                    password_hash=password,
                    role="admin",
                    languages=["en"],
                    locale="en",
                )
            )
            for n, channel in enumerate(CHANNELS):
                session.add(
                    Inbox(workspace_id=workspace.id, name=f"{channel} {n}", channel=channel, config={})
                )
            await session.commit()
            return workspace.id, teams
    finally:
        await db.dispose()


SECONDARY_INDEXES = """
SELECT indexname, indexdef FROM pg_indexes i
WHERE tablename = ANY(%s) AND schemaname = 'public'
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
"""
FILLED = [
    "contacts",
    "vault_keys",
    "vault_contacts",
    "conversations",
    "messages",
    "vault_messages",
    "vault_message_search",
    "report_conversations",
]


class Writer:
    """One COPY per table, fed row by row, on its own connection (one COPY per connection)
    and in one transaction; foreign-key triggers are off for it."""

    def __init__(self, url: str, table: str, columns: list[str]) -> None:
        self.conn = psycopg.connect(plain_url(url))
        self.conn.execute("SET session_replication_role = replica")
        self.cm = self.conn.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN")
        self.copy = self.cm.__enter__()

    def row(self, values: tuple[Any, ...]) -> None:
        self.copy.write_row(values)

    def close(self) -> None:
        self.cm.__exit__(None, None, None)
        self.conn.commit()
        self.conn.close()


def conversation_sizes(plan: Plan, rng: random.Random) -> Iterator[int]:
    """Messages per conversation: 1 + geometric, averaging messages / conversations."""
    mean = plan.messages / plan.conversations
    p = 1 / mean
    log_q = math.log(1 - p)
    for _ in range(plan.conversations):
        yield min(120, 1 + int(math.log(1 - rng.random()) / log_q))


def generate(url: str, workspace_id: uuid.UUID, teams: list[Team], plan: Plan, rng: random.Random) -> None:
    from meridian.analytics.facts import Fact, utc_day
    from meridian.conversations.numbers import sequence_name
    from meridian.vault.crypto import aad_for, key_provider, new_data_key, seal
    from meridian.vault.service import search_text

    with psycopg.connect(plain_url(url), autocommit=True) as conn:
        inboxes = conn.execute(
            "SELECT id, channel FROM inboxes WHERE workspace_id = %s ORDER BY name", (workspace_id,)
        ).fetchall()
        bench_agent = conn.execute("SELECT id FROM agents WHERE email = %s", (BENCH_AGENT,)).fetchone()
        assert bench_agent is not None
        saved = conn.execute(SECONDARY_INDEXES, (FILLED,)).fetchall()
        for name, _ in saved:
            conn.execute(f'DROP INDEX "{name}"')

        try:
            now = datetime.now(UTC).replace(microsecond=0)
            start = now - YEAR
            provider = key_provider()
            region = "default"

            def contact_keys() -> tuple[list[tuple[uuid.UUID, bytes, str]], int]:
                keys = []
                w_contacts = Writer(
                    url,
                    "contacts",
                    ["id", "workspace_id", "region", "locale", "tier", "attributes", "created_at"],
                )
                w_keys = Writer(
                    url, "vault_keys", ["contact_id", "workspace_id", "region", "kek_id", "wrapped_key"]
                )
                w_pii = Writer(
                    url, "vault_contacts", ["contact_id", "workspace_id", "region", "name", "email"]
                )
                for n in range(plan.contacts):
                    language = rng.choices(LANGUAGES, LANGUAGE_WEIGHTS)[0]
                    cid = id_at(start + YEAR * (n / plan.contacts), rng)
                    key = new_data_key()
                    wrapped = provider.wrap(region, key)
                    w_contacts.row((cid, workspace_id, region, language, rng.choice(TIERS), "{}", start))
                    w_keys.row((cid, workspace_id, region, wrapped.kek_id, wrapped.wrapped))
                    w_pii.row(
                        (
                            cid,
                            workspace_id,
                            region,
                            seal(key, f"Customer {n}".encode(), aad=aad_for("contact.name", cid)),
                            seal(key, f"customer{n}@example.com".encode(), aad=aad_for("contact.email", cid)),
                        )
                    )
                    keys.append((cid, key, language))
                for w in (w_contacts, w_keys, w_pii):
                    w.close()
                return keys, plan.contacts

            print(f"generating {plan.contacts:,} contacts, {plan.conversations:,} conversations, "
                  f"~{plan.messages:,} messages (scale {plan.scale})")  # fmt: skip
            started = time.perf_counter()
            contacts, _ = contact_keys()
            print(f"  contacts and their data keys: {time.perf_counter() - started:.0f} s")

            w_conv = Writer(
                url,
                "conversations",
                [
                    "id", "workspace_id", "number", "inbox_id", "contact_id", "status", "priority",
                    "assignee_id", "team_id", "language", "tags", "custom_attributes", "subject",
                    "snoozed_until", "last_activity_at", "last_incoming_at", "first_response_at",
                    "resolved_at", "sla", "created_at", "updated_at",
                ],
            )  # fmt: skip
            w_msg = Writer(
                url,
                "messages",
                [
                    "id", "workspace_id", "conversation_id", "inbox_id", "contact_id", "direction",
                    "author_agent_id", "author_kind", "content_type", "language", "language_confidence",
                    "external_id", "delivery_status", "meta", "created_at", "sent_at", "attempts",
                ],
            )  # fmt: skip
            w_body = Writer(
                url,
                "vault_messages",
                ["message_id", "workspace_id", "conversation_id", "contact_id", "region", "body"],
            )
            w_search = Writer(
                url,
                "vault_message_search",
                ["message_id", "workspace_id", "conversation_id", "contact_id", "region", "text"],
            )
            fact_columns = [f for f in Fact(workspace_id, workspace_id, now).values() if f != "workspace_id"]
            w_fact = Writer(url, "report_conversations", ["workspace_id", *fact_columns])
            facts: list[Fact] = []
            rollup_deltas: list[Any] = []

            by_language: dict[str, list[Team]] = {
                lang: [t for t in teams if lang in t.languages] or teams for lang in LANGUAGES
            }
            total_messages = 0
            sizes = conversation_sizes(plan, rng)
            columns = [
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
            ]
            with Progress(*columns) as progress:
                task = progress.add_task("conversations", total=plan.conversations)
                for number in range(1, plan.conversations + 1):
                    contact_id, key, language = contacts[rng.randrange(len(contacts))]
                    # Spread over the year, denser towards now (a growing business).
                    created = start + YEAR * (number / plan.conversations) ** 0.85
                    created += timedelta(seconds=rng.randrange(3600))
                    age = now - created
                    size = next(sizes)
                    if number == 1:
                        created, age, size = now - timedelta(days=2), timedelta(days=2), LONG_THREAD
                    inbox_id, channel = inboxes[rng.randrange(len(inboxes))]
                    team = rng.choice(by_language[language])
                    if number == 1:
                        team = next(t for t in teams if bench_agent[0] in t.agents)
                    recent = age < timedelta(days=10)
                    roll = rng.random()
                    if recent and roll < 0.45:
                        status = "open"
                    elif recent and roll < 0.6:
                        status = "pending"
                    elif recent and roll < 0.63:
                        status = "snoozed"
                    else:
                        status = "resolved" if rng.random() < 0.97 else "open"
                    assignee = rng.choice(team.agents)
                    if status == "open" and rng.random() < 0.25:
                        assignee = None  # waiting in the team's queue
                    if number == 1:
                        status, assignee = "open", bench_agent[0]
                    priority = rng.choice(PRIORITIES)
                    tags = sorted(set(rng.sample(TAGS, rng.choice((0, 1, 1, 2, 2, 3)))))
                    conv_id = id_at(created, rng)
                    # Message times: a thread over minutes to days, never past now.
                    span = min(age.total_seconds() * 0.9, rng.lognormvariate(math.log(4 * 3600), 1.3))
                    times = sorted(created + timedelta(seconds=rng.uniform(0, span)) for _ in range(size))
                    times[0] = created
                    replies = [i for i in range(size) if i % 2 == 1]
                    first_response = times[replies[0]] if replies else None
                    last_incoming = max((t for i, t in enumerate(times) if i % 2 == 0), default=None)
                    resolved_at = (
                        times[-1] + timedelta(minutes=rng.randint(1, 90)) if status == "resolved" else None
                    )
                    if resolved_at and resolved_at > now:
                        resolved_at = now
                    minutes = {"urgent": 30, "high": 60, "normal": 240, "low": 1440}[priority]
                    fr_due = created + timedelta(minutes=minutes)
                    res_due = created + timedelta(minutes=minutes * 12)
                    waiting = status in ("open", "pending")
                    sla_status = (
                        "met" if status == "resolved" else ("breached" if res_due < now else "active")
                    )
                    sla = {
                        "policy_id": None,
                        "first_response_due_at": iso(fr_due) if waiting and first_response is None else None,
                        "next_response_due_at": iso(times[-1] + timedelta(minutes=minutes))
                        if waiting
                        else None,
                        "resolution_due_at": iso(res_due) if waiting else None,
                        "status": sla_status,
                        "metrics": {},
                    }
                    snoozed_until = now + timedelta(hours=rng.randint(1, 48)) if status == "snoozed" else None
                    w_conv.row(
                        (
                            conv_id, workspace_id, number, inbox_id, contact_id, status, priority, assignee,
                            team.id, language, json.dumps(tags), "{}", None, snoozed_until,
                            resolved_at or times[-1], last_incoming, first_response, resolved_at,
                            json.dumps(sla), created, resolved_at or times[-1],
                        )
                    )  # fmt: skip
                    pool = TEXTS[language]
                    for i, at in enumerate(times):
                        incoming = i % 2 == 0
                        mid = id_at(at, rng)
                        body = " ".join(rng.sample(pool, 2)) + f" #{number}-{i}"
                        w_msg.row(
                            (
                                mid, workspace_id, conv_id, inbox_id, contact_id,
                                "incoming" if incoming else "outgoing",
                                None if incoming else (assignee or team.agents[0]), "human", "text",
                                language, 0.97 if incoming else None,
                                f"ext-{number}-{i}" if incoming else None,
                                "none" if incoming else "delivered", "{}", at, None if incoming else at, 0,
                            )
                        )  # fmt: skip
                        sealed = seal(key, body.encode(), aad=aad_for("message.body", mid))
                        w_body.row((mid, workspace_id, conv_id, contact_id, region, sealed))
                        w_search.row((mid, workspace_id, conv_id, contact_id, region, search_text(body)))
                    total_messages += size

                    fact = Fact(
                        workspace_id, conv_id, created, number=number, local_how=created.weekday() * 24
                    )
                    fact.local_how = (fact.local_how or 0) + created.hour
                    fact.language, fact.channel, fact.inbox_id, fact.team_id = (
                        language,
                        channel,
                        inbox_id,
                        team.id,
                    )
                    fact.agent_id, fact.region, fact.tags = assignee, region, tags
                    fact.tier = "free"
                    fact.status = "resolved" if status == "resolved" else status
                    fact.human_replies = len(replies)
                    fact.assignments = 1 if assignee else 0
                    if first_response:
                        fact.first_response_at = first_response
                        fact.first_response_s = (first_response - created).total_seconds()
                        fact.first_response_bs = fact.first_response_s * 0.6
                    if resolved_at:
                        fact.resolved_at = resolved_at
                        fact.resolution_s = (resolved_at - created).total_seconds()
                        fact.resolution_bs = fact.resolution_s * 0.5
                        fact.timeline = [[utc_day(resolved_at).isoformat(), "resolved"]]
                        if rng.random() < 0.2:
                            fact.csat_sent_at, fact.csat_rating = (
                                resolved_at,
                                rng.choice([1, 2, 3, 4, 4, 5, 5, 5]),
                            )
                    else:
                        fact.waiting_since = last_incoming
                    fact.sla = (
                        "met" if sla_status == "met" else ("breached" if sla_status == "breached" else "none")
                    )
                    values = fact.values()
                    w_fact.row(
                        (
                            workspace_id,
                            *(json.dumps(values[c]) if c == "timeline" else values[c] for c in fact_columns),
                        )
                    )
                    facts.append(fact)
                    if len(facts) >= 250_000:
                        rollup_deltas.append(_totals(facts))
                        facts = []
                    if number % 1000 == 0:
                        progress.update(task, completed=number)
                progress.update(task, completed=plan.conversations)
            for w in (w_conv, w_msg, w_body, w_search, w_fact):
                w.close()
            if facts:
                rollup_deltas.append(_totals(facts))
            print(f"  {plan.conversations:,} conversations, {total_messages:,} messages written: "
                  f"{time.perf_counter() - started:.0f} s")  # fmt: skip
            # New conversations continue after the generated ones.
            conn.execute("SELECT setval(%s, %s)", (sequence_name(workspace_id), plan.conversations))
        finally:
            index_started = time.perf_counter()
            conn.execute("SET maintenance_work_mem = '512MB'")
            for name, definition in saved:
                t0 = time.perf_counter()
                conn.execute(definition.replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1))
                print(f"  index {name}: {time.perf_counter() - t0:.0f} s")
            print(f"  indexes rebuilt: {time.perf_counter() - index_started:.0f} s")

    t0 = time.perf_counter()
    asyncio.run(_write_rollups(url, workspace_id, rollup_deltas))
    print(f"  report rollups: {time.perf_counter() - t0:.0f} s")
    t0 = time.perf_counter()
    with psycopg.connect(plain_url(url), autocommit=True) as conn:
        for table in [*FILLED, "report_rollups"]:
            conn.execute(f"VACUUM ANALYZE {table}")
    print(f"  vacuum analyze: {time.perf_counter() - t0:.0f} s")
    elapsed = time.perf_counter() - started
    print(f"done in {elapsed:.0f} s")
    record(
        "generate",
        {
            "scale": plan.scale,
            "conversations": plan.conversations,
            "messages": total_messages,
            "contacts": plan.contacts,
            "seconds": round(elapsed),
        },
    )


def _totals(facts: list[Any]) -> Any:
    from meridian.analytics import rollups

    return rollups.totals(facts)


async def _write_rollups(url: str, workspace_id: uuid.UUID, parts: list[Any]) -> None:
    """Rollups through the analytics code: appended deltas, then compacted."""
    from meridian.analytics import rollups
    from meridian.db.engine import make_database

    db = make_database(url, pool_size=1)
    try:
        for part in parts:
            async with db.session() as session:
                await rollups.append(session, workspace_id, part)
                await session.commit()
        async with db.session() as session:
            await rollups.compact(session, workspace_id)
            await session.commit()
    finally:
        await db.dispose()


def bench_workspace(url: str) -> uuid.UUID | None:
    with psycopg.connect(plain_url(url)) as conn:
        row = conn.execute("SELECT id FROM workspaces WHERE name = %s", (WORKSPACE_NAME,)).fetchone()
    return row[0] if row else None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    data_dir = use_data_dir(args.data_dir)
    url = start_database(data_dir)
    existing = bench_workspace(url)
    if existing is not None:
        print(f"{data_dir} holds a generated workspace already ({existing}); use a fresh --data-dir")
        return
    rng = random.Random(args.seed)
    plan = plan_for(args.scale)
    workspace_id, teams = asyncio.run(create_workspace(url, plan, rng))
    print(f"workspace {workspace_id} in {data_dir}")
    generate(url, workspace_id, teams, plan, rng)


if __name__ == "__main__":
    os.environ.setdefault("MERIDIAN_LOG_LEVEL", "WARNING")
    main()
