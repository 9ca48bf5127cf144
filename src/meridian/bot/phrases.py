"""What the bot says, in the customer's language (English when we have no wording)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Protocol

from meridian.languages.tags import normalize_language_tag

if TYPE_CHECKING:
    from meridian.canned.system import SystemTexts

KEYS = (
    "read_more",
    "only_in",
    "machine_translated",
    "feedback",
    "handoff",
    "resolved",
    "order_status",
    "order_eta",
    "order_tracking",
    "order_not_found",
    "order_unavailable",
)
# Order states a shop's endpoint may report (anything else is shown as sent).
ORDER_STATES = (
    "processing",
    "shipped",
    "in_transit",
    "out_for_delivery",
    "delivered",
    "cancelled",
    "returned",
)

PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "read_more": "Full article: {url}",
        "only_in": "(This article is only available in {language}.)",
        "machine_translated": "(Translated automatically from {language}.)",
        "feedback": "Did this solve it? Reply “yes” or “no”.",
        "handoff": "I’m passing your message to a person on our team. They will reply here.",
        "resolved": "Glad that helped! If you need anything else, just write here.",
        "order_status": "Order {order}: {status}.",
        "order_eta": "Expected delivery: {date}.",
        "order_tracking": "Tracking: {url}",
        "order_not_found": "I couldn’t find order {order}. Please check the number.",
        "order_unavailable": "I can’t look up orders right now.",
        "processing": "being prepared",
        "shipped": "shipped",
        "in_transit": "on its way",
        "out_for_delivery": "out for delivery",
        "delivered": "delivered",
        "cancelled": "cancelled",
        "returned": "returned",
    },
    "es": {
        "read_more": "Artículo completo: {url}",
        "only_in": "(Este artículo solo está disponible en {language}.)",
        "machine_translated": "(Traducido automáticamente del {language}.)",
        "feedback": "¿Esto resolvió tu duda? Responde «sí» o «no».",
        "handoff": "Paso tu mensaje a una persona de nuestro equipo. Te responderá aquí.",
        "resolved": "¡Qué bien que te haya servido! Si necesitas algo más, escríbenos aquí.",
        "order_status": "Pedido {order}: {status}.",
        "order_eta": "Entrega prevista: {date}.",
        "order_tracking": "Seguimiento: {url}",
        "order_not_found": "No encontré el pedido {order}. Por favor, revisa el número.",
        "order_unavailable": "Ahora mismo no puedo consultar pedidos.",
        "processing": "en preparación",
        "shipped": "enviado",
        "in_transit": "en camino",
        "out_for_delivery": "en reparto",
        "delivered": "entregado",
        "cancelled": "cancelado",
        "returned": "devuelto",
    },
    "pt": {
        "read_more": "Artigo completo: {url}",
        "only_in": "(Este artigo só está disponível em {language}.)",
        "machine_translated": "(Traduzido automaticamente do {language}.)",
        "feedback": "Isso resolveu sua dúvida? Responda “sim” ou “não”.",
        "handoff": "Vou passar sua mensagem para uma pessoa da nossa equipe. Ela responderá aqui.",
        "resolved": "Que bom que ajudou! Se precisar de mais alguma coisa, é só escrever aqui.",
        "order_status": "Pedido {order}: {status}.",
        "order_eta": "Entrega prevista: {date}.",
        "order_tracking": "Rastreamento: {url}",
        "order_not_found": "Não encontrei o pedido {order}. Verifique o número, por favor.",
        "order_unavailable": "No momento não consigo consultar pedidos.",
        "processing": "em preparação",
        "shipped": "enviado",
        "in_transit": "a caminho",
        "out_for_delivery": "saiu para entrega",
        "delivered": "entregue",
        "cancelled": "cancelado",
        "returned": "devolvido",
    },
    "fr": {
        "read_more": "Article complet : {url}",
        "only_in": "(Cet article n’existe qu’en {language}.)",
        "machine_translated": "(Traduit automatiquement de l’{language}.)",
        "feedback": "Cela a-t-il résolu votre problème ? Répondez « oui » ou « non ».",
        "handoff": "Je transmets votre message à une personne de notre équipe. Elle vous répondra ici.",
        "resolved": "Ravi d’avoir pu aider ! Pour toute autre question, écrivez-nous ici.",
        "order_status": "Commande {order} : {status}.",
        "order_eta": "Livraison prévue : {date}.",
        "order_tracking": "Suivi : {url}",
        "order_not_found": "Je n’ai pas trouvé la commande {order}. Merci de vérifier le numéro.",
        "order_unavailable": "Je ne peux pas consulter les commandes pour le moment.",
        "processing": "en préparation",
        "shipped": "expédiée",
        "in_transit": "en cours d’acheminement",
        "out_for_delivery": "en cours de livraison",
        "delivered": "livrée",
        "cancelled": "annulée",
        "returned": "retournée",
    },
    "de": {
        "read_more": "Ganzer Artikel: {url}",
        "only_in": "(Diesen Artikel gibt es nur auf {language}.)",
        "machine_translated": "(Automatisch übersetzt, Originalsprache: {language}.)",
        "feedback": "Hat das Ihr Anliegen gelöst? Antworten Sie mit „ja“ oder „nein“.",
        "handoff": "Ich gebe Ihre Nachricht an jemanden aus unserem Team weiter. Sie erhalten hier Antwort.",
        "resolved": "Schön, dass es geholfen hat! Wenn Sie noch etwas brauchen, schreiben Sie einfach hier.",
        "order_status": "Bestellung {order}: {status}.",
        "order_eta": "Voraussichtliche Zustellung: {date}.",
        "order_tracking": "Sendungsverfolgung: {url}",
        "order_not_found": "Ich konnte die Bestellung {order} nicht finden. Bitte prüfen Sie die Nummer.",
        "order_unavailable": "Ich kann Bestellungen gerade nicht abrufen.",
        "processing": "in Bearbeitung",
        "shipped": "versandt",
        "in_transit": "unterwegs",
        "out_for_delivery": "in Zustellung",
        "delivered": "zugestellt",
        "cancelled": "storniert",
        "returned": "zurückgesandt",
    },
    "it": {
        "read_more": "Articolo completo: {url}",
        "only_in": "(Questo articolo è disponibile solo in {language}.)",
        "machine_translated": "(Tradotto automaticamente dall’{language}.)",
        "feedback": "Ha risolto il problema? Rispondi “sì” o “no”.",
        "handoff": "Passo il tuo messaggio a una persona del nostro team. Ti risponderà qui.",
        "resolved": "Felice di esserti stato utile! Se ti serve altro, scrivici qui.",
        "order_status": "Ordine {order}: {status}.",
        "order_eta": "Consegna prevista: {date}.",
        "order_tracking": "Tracciamento: {url}",
        "order_not_found": "Non ho trovato l’ordine {order}. Controlla il numero, per favore.",
        "order_unavailable": "Al momento non posso consultare gli ordini.",
        "processing": "in preparazione",
        "shipped": "spedito",
        "in_transit": "in viaggio",
        "out_for_delivery": "in consegna",
        "delivered": "consegnato",
        "cancelled": "annullato",
        "returned": "reso",
    },
    "nl": {
        "read_more": "Volledig artikel: {url}",
        "only_in": "(Dit artikel is alleen beschikbaar in het {language}.)",
        "machine_translated": "(Automatisch vertaald uit het {language}.)",
        "feedback": "Is je vraag hiermee opgelost? Antwoord met “ja” of “nee”.",
        "handoff": "Ik geef je bericht door aan iemand van ons team. Diegene antwoordt hier.",
        "resolved": "Fijn dat het geholpen heeft! Heb je nog iets nodig, schrijf dan hier.",
        "order_status": "Bestelling {order}: {status}.",
        "order_eta": "Verwachte levering: {date}.",
        "order_tracking": "Track & trace: {url}",
        "order_not_found": "Ik kon bestelling {order} niet vinden. Controleer het nummer alsjeblieft.",
        "order_unavailable": "Ik kan bestellingen nu niet opzoeken.",
        "processing": "wordt voorbereid",
        "shipped": "verzonden",
        "in_transit": "onderweg",
        "out_for_delivery": "wordt vandaag bezorgd",
        "delivered": "bezorgd",
        "cancelled": "geannuleerd",
        "returned": "geretourneerd",
    },
    "ja": {
        "read_more": "記事の全文: {url}",
        "only_in": "（この記事は{language}のみでご覧いただけます。）",
        "machine_translated": "（{language}から自動翻訳しました。）",
        "feedback": "これで解決しましたか？「はい」か「いいえ」でお答えください。",
        "handoff": "担当者におつなぎします。こちらで返信いたしますので、少々お待ちください。",
        "resolved": "お役に立ててよかったです。ほかにご不明な点があれば、こちらにお書きください。",
        "order_status": "ご注文 {order}：{status}。",
        "order_eta": "お届け予定日：{date}。",
        "order_tracking": "配送状況：{url}",
        "order_not_found": "ご注文 {order} が見つかりませんでした。番号をご確認ください。",
        "order_unavailable": "現在、ご注文を確認できません。",
        "processing": "準備中",
        "shipped": "発送済み",
        "in_transit": "配送中",
        "out_for_delivery": "配達中",
        "delivered": "お届け済み",
        "cancelled": "キャンセル済み",
        "returned": "返品済み",
    },
    "zh-Hans": {
        "read_more": "完整文章：{url}",
        "only_in": "（本文仅提供{language}版本。）",
        "machine_translated": "（由{language}自动翻译。）",
        "feedback": "问题解决了吗？请回复“是”或“否”。",
        "handoff": "我会把您的消息转给我们团队的工作人员，他们会在这里回复您。",
        "resolved": "很高兴能帮到您！如果还有其他问题，请直接在这里留言。",
        "order_status": "订单 {order}：{status}。",
        "order_eta": "预计送达：{date}。",
        "order_tracking": "物流跟踪：{url}",
        "order_not_found": "没有找到订单 {order}，请核对订单号。",
        "order_unavailable": "目前无法查询订单。",
        "processing": "备货中",
        "shipped": "已发货",
        "in_transit": "运输中",
        "out_for_delivery": "派送中",
        "delivered": "已送达",
        "cancelled": "已取消",
        "returned": "已退货",
    },
    "zh-Hant": {
        "read_more": "完整文章：{url}",
        "only_in": "（本文僅提供{language}版本。）",
        "machine_translated": "（由{language}自動翻譯。）",
        "feedback": "問題解決了嗎？請回覆「是」或「否」。",
        "handoff": "我會把您的訊息轉給我們團隊的人員，他們會在這裡回覆您。",
        "resolved": "很高興能幫上忙！如果還有其他問題，請直接在這裡留言。",
        "order_status": "訂單 {order}：{status}。",
        "order_eta": "預計送達：{date}。",
        "order_tracking": "物流追蹤：{url}",
        "order_not_found": "找不到訂單 {order}，請核對訂單編號。",
        "order_unavailable": "目前無法查詢訂單。",
        "processing": "備貨中",
        "shipped": "已出貨",
        "in_transit": "運送中",
        "out_for_delivery": "配送中",
        "delivered": "已送達",
        "cancelled": "已取消",
        "returned": "已退貨",
    },
    "ko": {
        "read_more": "전체 도움말: {url}",
        "only_in": "(이 도움말은 {language}로만 제공됩니다.)",
        "machine_translated": "({language}에서 자동 번역되었습니다.)",
        "feedback": "문제가 해결되었나요? “네” 또는 “아니요”로 답해 주세요.",
        "handoff": "상담원에게 메시지를 전달하겠습니다. 이곳에서 답변드릴 예정입니다.",
        "resolved": "도움이 되었다니 다행입니다! 더 필요하신 것이 있으면 여기에 남겨 주세요.",
        "order_status": "주문 {order}: {status}.",
        "order_eta": "도착 예정일: {date}.",
        "order_tracking": "배송 조회: {url}",
        "order_not_found": "주문 {order}을(를) 찾을 수 없습니다. 번호를 확인해 주세요.",
        "order_unavailable": "지금은 주문을 조회할 수 없습니다.",
        "processing": "상품 준비 중",
        "shipped": "발송 완료",
        "in_transit": "배송 중",
        "out_for_delivery": "배달 출발",
        "delivered": "배송 완료",
        "cancelled": "취소됨",
        "returned": "반품됨",
    },
    "ar": {
        "read_more": "المقالة كاملة: {url}",
        "only_in": "(هذه المقالة متوفرة باللغة {language} فقط.)",
        "machine_translated": "(تُرجمت تلقائيًا من اللغة {language}.)",
        "feedback": "هل حلّ هذا مشكلتك؟ أجب بـ«نعم» أو «لا».",
        "handoff": "سأحوّل رسالتك إلى أحد أعضاء فريقنا، وسيرد عليك هنا.",
        "resolved": "يسعدنا أن ذلك ساعدك! إذا احتجت إلى أي شيء آخر، اكتب لنا هنا.",
        "order_status": "الطلب {order}: {status}.",
        "order_eta": "موعد التسليم المتوقع: {date}.",
        "order_tracking": "تتبّع الشحنة: {url}",
        "order_not_found": "لم أجد الطلب {order}. يرجى التحقق من الرقم.",
        "order_unavailable": "لا يمكنني الاطلاع على الطلبات حاليًا.",
        "processing": "قيد التجهيز",
        "shipped": "تم الشحن",
        "in_transit": "في الطريق",
        "out_for_delivery": "خرج للتسليم",
        "delivered": "تم التسليم",
        "cancelled": "أُلغي",
        "returned": "أُعيد",
    },
    "ru": {
        "read_more": "Полная статья: {url}",
        "only_in": "(Эта статья доступна только на языке: {language}.)",
        "machine_translated": "(Автоматический перевод, язык оригинала: {language}.)",
        "feedback": "Это решило ваш вопрос? Ответьте «да» или «нет».",
        "handoff": "Я передаю ваше сообщение сотруднику нашей команды. Он ответит здесь.",
        "resolved": "Рады, что это помогло! Если нужно что-то ещё, просто напишите здесь.",
        "order_status": "Заказ {order}: {status}.",
        "order_eta": "Ожидаемая доставка: {date}.",
        "order_tracking": "Отслеживание: {url}",
        "order_not_found": "Я не нашёл заказ {order}. Пожалуйста, проверьте номер.",
        "order_unavailable": "Сейчас я не могу проверить заказы.",
        "processing": "собирается",
        "shipped": "отправлен",
        "in_transit": "в пути",
        "out_for_delivery": "передан курьеру",
        "delivered": "доставлен",
        "cancelled": "отменён",
        "returned": "возвращён",
    },
    "tr": {
        "read_more": "Makalenin tamamı: {url}",
        "only_in": "(Bu makale yalnızca şu dilde mevcut: {language}.)",
        "machine_translated": "(Şu dilden otomatik çevrildi: {language}.)",
        "feedback": "Bu sorununuzu çözdü mü? “evet” veya “hayır” diye yanıtlayın.",
        "handoff": "Mesajınızı ekibimizden birine aktarıyorum. Size buradan yanıt verecek.",
        "resolved": "Yardımcı olabildiğimize sevindik! Başka bir şeye ihtiyacınız olursa buraya yazın.",
        "order_status": "Sipariş {order}: {status}.",
        "order_eta": "Tahmini teslimat: {date}.",
        "order_tracking": "Kargo takibi: {url}",
        "order_not_found": "{order} numaralı siparişi bulamadım. Lütfen numarayı kontrol edin.",
        "order_unavailable": "Şu anda siparişleri sorgulayamıyorum.",
        "processing": "hazırlanıyor",
        "shipped": "kargoya verildi",
        "in_transit": "yolda",
        "out_for_delivery": "dağıtımda",
        "delivered": "teslim edildi",
        "cancelled": "iptal edildi",
        "returned": "iade edildi",
    },
}


def wording_language(tag: str | None) -> str:
    """The key in ``PHRASES`` for a customer's language: exact, then by language, then en."""
    if not tag:
        return "en"
    try:
        normalized = normalize_language_tag(tag)
    except ValueError:
        return "en"
    if normalized in PHRASES:
        return normalized
    primary = normalized.split("-")[0]
    if primary == "zh":
        return "zh-Hant" if normalized == "zh-Hant" else "zh-Hans"
    return primary if primary in PHRASES else "en"


def phrase(key: str, lang: str | None, /, **values: str) -> str:
    return PHRASES[wording_language(lang)][key].format(**values)


class Phrase(Protocol):
    """What the bot calls to word a line: ``phrase`` (as shipped) or a workspace's."""

    def __call__(self, key: str, lang: str | None, /, **values: str) -> str: ...


# Whole sentences a workspace may reword (system templates ``bot_<key>``); the order
# lines and status labels are fragments of a composed answer and stay as shipped.
EDITABLE = (
    "handoff",
    "feedback",
    "resolved",
    "read_more",
    "only_in",
    "machine_translated",
    "order_not_found",
    "order_unavailable",
)


def template_of(key: str) -> dict[str, str]:
    """The shipped wording of ``key`` per language, as a system template ({url} -> {{ url }})."""
    return {
        language: re.sub(r"\{(\w+)\}", r"{{ \1 }}", words[key])
        for language, words in PHRASES.items()
        if key in words
    }


def workspace_phrases(texts: SystemTexts) -> Phrase:
    """``phrase`` with the workspace's overrides of the editable lines on top."""

    def say(key: str, lang: str | None, /, **values: str) -> str:
        if key in EDITABLE:
            return texts.render(f"bot_{key}", language=lang, values=values).body
        return phrase(key, lang, **values)

    return say
