"""The demo workspace's knowledge base: Markdown articles in ``articles/``, named
``<slug>.<locale>.md``, each opening with ``title:`` and ``category:`` lines."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select, update

from meridian.core.clock import utcnow
from meridian.db.engine import Database
from meridian.inboxes.models import Inbox
from meridian.jobs.defer import defer_in_transaction
from meridian.kb.models import KbArticle, KbArticleVersion, KbCategory, KbSite
from meridian.kb.render import render_html

ARTICLES_DIR = Path(__file__).parent / "articles"
SITE_SLUG = "globex"
SITE_TITLE = "Globex Help Center"
# slug -> (English name, localized names)
CATEGORIES: dict[str, tuple[str, dict[str, str]]] = {
    "orders": (
        "Orders",
        {
            "es": "Pedidos",
            "pt-BR": "Pedidos",
            "de": "Bestellungen",
            "fr": "Commandes",
            "ja": "ご注文",
            "zh-Hans": "订单",
        },
    ),
    "shipping": (
        "Shipping and delivery",
        {
            "es": "Envíos",
            "pt-BR": "Entrega",
            "de": "Versand",
            "fr": "Livraison",
            "ja": "配送",
            "zh-Hans": "配送",
        },
    ),
    "returns": (
        "Returns and refunds",
        {
            "es": "Devoluciones y reembolsos",
            "pt-BR": "Devoluções e reembolsos",
            "de": "Rücksendungen und Erstattungen",
            "fr": "Retours et remboursements",
            "ja": "返品・返金",
            "zh-Hans": "退货与退款",
        },
    ),
    "payments": (
        "Payments",
        {
            "es": "Pagos",
            "pt-BR": "Pagamentos",
            "de": "Zahlung",
            "fr": "Paiement",
            "ja": "お支払い",
            "zh-Hans": "支付",
        },
    ),
    "account": (
        "Your account",
        {
            "es": "Tu cuenta",
            "pt-BR": "Sua conta",
            "de": "Ihr Konto",
            "fr": "Votre compte",
            "ja": "アカウント",
            "zh-Hans": "账户",
        },
    ),
    "products": (
        "Products",
        {
            "es": "Productos",
            "pt-BR": "Produtos",
            "de": "Produkte",
            "fr": "Produits",
            "ja": "商品",
            "zh-Hans": "商品",
        },
    ),
    "warranty": (
        "Warranty",
        {
            "es": "Garantía",
            "pt-BR": "Garantia",
            "de": "Garantie",
            "fr": "Garantie",
            "ja": "保証",
            "zh-Hans": "保修",
        },
    ),
}


@dataclass(frozen=True)
class DemoArticle:
    slug: str
    locale: str
    title: str
    category: str
    body: str


def load_articles() -> list[DemoArticle]:
    out = []
    for path in sorted(ARTICLES_DIR.glob("*.md")):
        slug, locale, _ = path.name.rsplit(".", 2)
        header, _, body = path.read_text(encoding="utf-8").partition("\n\n")
        fields = dict(line.split(": ", 1) for line in header.splitlines())
        out.append(DemoArticle(slug, locale, fields["title"], fields["category"], body))
    # Masters (English) first, so variants can point at them.
    return sorted(out, key=lambda a: (a.locale != "en", a.slug, a.locale))


async def seed_demo_kb(
    db: Database, workspace_id: uuid.UUID, *, bot_inbox: str | None = "Web shop (API)"
) -> int:
    """Publish the demo articles once and queue their indexing; returns how many were added.

    ``bot_inbox`` names an inbox whose bot is switched on ("always": the demo's shop
    answers first, day and night).
    """
    async with db.session() as session:
        existing = await session.scalar(select(func.count()).where(KbArticle.workspace_id == workspace_id))
        if existing:
            return 0
        if await session.get(KbSite, workspace_id) is None:
            session.add(
                KbSite(workspace_id=workspace_id, slug=SITE_SLUG, title=SITE_TITLE, default_locale="en")
            )
        categories: dict[str, KbCategory] = {}
        for position, (slug, (name, names)) in enumerate(CATEGORIES.items()):
            categories[slug] = KbCategory(
                workspace_id=workspace_id, slug=slug, name=name, names=names, position=position
            )
            session.add(categories[slug])
        await session.flush()
        masters: dict[str, KbArticle] = {}
        now = utcnow()
        count = 0
        for item in load_articles():
            master = masters.get(item.slug) if item.locale != "en" else None
            article = KbArticle(
                workspace_id=workspace_id,
                master_id=master.id if master else None,
                category_id=categories[item.category].id,
                slug=item.slug,
                locale=item.locale,
                title=item.title,
                body=item.body,
                body_html=render_html(item.body),
                status="published",
                version=1,
                outdated=False,
                master_version=1 if master else None,
                published_at=now,
                indexed_version=0,
                helpful_yes=0,
                helpful_no=0,
            )
            session.add(article)
            await session.flush()
            if item.locale == "en":
                masters[item.slug] = article
            session.add(
                KbArticleVersion(
                    workspace_id=workspace_id,
                    article_id=article.id,
                    number=1,
                    title=item.title,
                    body=item.body,
                )
            )
            from meridian.kb.tasks import reindex_article_job

            await defer_in_transaction(
                session, reindex_article_job, lock=f"kb-reindex-{article.id}", article_id=str(article.id)
            )
            count += 1
        if bot_inbox:
            await session.execute(
                update(Inbox)
                .where(Inbox.workspace_id == workspace_id, Inbox.name == bot_inbox, Inbox.bot_mode == "off")
                .values(bot_mode="always")
            )
        await session.commit()
    return count
