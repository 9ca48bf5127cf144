"""Sentiment and intent of a customer's message, from word lists per language.

Deliberately simple, and limited in known ways: it reads words, not meaning, so irony
("great, broken again") and insults outside the lists slip through, and a word list
in the wrong language finds nothing. It exists to catch the clear cases fast and
offline: a furious customer (swearing, threats to cancel or complain, shouting in
capitals, "!!!") skips the bot and rises in priority; "I want a person" goes straight
to a person; "yes"/"no" after the bot asked "did this solve it?" is read as feedback.
Every list is matched on word boundaries in languages with spaces, and as substrings
in Chinese, Japanese and Korean. A trained classifier can replace ``classify``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

ANGRY = (
    # English
    "furious",
    "angry",
    "ridiculous",
    "unacceptable",
    "disgusting",
    "outrageous",
    "scam",
    "fraud",
    "worst",
    "terrible service",
    "useless",
    "incompetent",
    "pathetic",
    "lawyer",
    "sue you",
    "wtf",
    "damn",
    "fuck",
    "fucking",
    "shit",
    "crap",
    "never again",
    "fed up",
    "sick of",
    "what a joke",
    "rip off",
    "rip-off",
    # Spanish
    "furioso",
    "furiosa",
    "indignado",
    "indignada",
    "inaceptable",
    "vergüenza",
    "una estafa",
    "estafa",
    "fraude",
    "pésimo",
    "pésima",
    "inútiles",
    "harto",
    "harta",
    "denunciar",
    "abogado",
    "mierda",
    "joder",
    # Portuguese
    "absurdo",
    "inaceitável",
    "vergonha",
    "golpe",
    "péssimo",
    "péssima",
    "palhaçada",
    "cansado de",
    "processar",
    "advogado",
    "porra",
    "merda",
    "ridículo",
    # French
    "furieux",
    "furieuse",
    "inadmissible",
    "inacceptable",
    "honteux",
    "arnaque",
    "escroquerie",
    "nul",
    "lamentable",
    "ras le bol",
    "ras-le-bol",
    "avocat",
    "merde",
    "putain",
    "scandaleux",
    # German
    "wütend",
    "unverschämt",
    "unverschämtheit",
    "inakzeptabel",
    "frechheit",
    "betrug",
    "abzocke",
    "katastrophe",
    "anwalt",
    "verklagen",
    "scheiße",
    "scheisse",
    "mist",
    "unmöglich",
    "skandal",
    # Italian
    "furioso",
    "inaccettabile",
    "vergogna",
    "truffa",
    "pessimo",
    "schifo",
    "avvocato",
    "ridicolo",
    # Dutch
    "woedend",
    "belachelijk",
    "onacceptabel",
    "oplichting",
    "schandalig",
    "advocaat",
    # Russian, Turkish, Polish
    "безобразие",
    "возмутительно",
    "мошенники",
    "ужасно",
    "отвратительно",
    "rezalet",
    "dolandırıcı",
    "berbat",
    "skandal",
    "oszustwo",
    "żenada",
    # Japanese, Chinese, Korean, Arabic
    "ふざけるな",
    "ふざけ",
    "最悪",
    "詐欺",
    "許せない",
    "ありえない",
    "怒",
    "いい加減にして",
    "太差",
    "垃圾",
    "骗子",
    "愤怒",
    "气死",
    "投诉",
    "坑人",
    "離譜",
    "騙子",
    "氣死",
    "최악",
    "사기",
    "화가",
    "짜증",
    "어이없",
    "고소",
    "غاضب",
    "سيء جدا",
    "احتيال",
    "نصب",
    "مهزلة",
    "غير مقبول",
    "فضيحة",
)
WANTS_HUMAN = (
    "human",
    "a person",
    "real person",
    "an agent",
    "a representative",
    "someone real",
    "talk to someone",
    "speak to someone",
    "operator",
    "customer service rep",
    "live agent",
    "una persona",
    "un humano",
    "un agente",
    "hablar con alguien",
    "un asesor",
    "un operador",
    "um humano",
    "uma pessoa",
    "um atendente",
    "falar com alguém",
    "atendente humano",
    "un humain",
    "une personne",
    "un conseiller",
    "un agent",
    "parler à quelqu",
    "einen menschen",
    "einem menschen",
    "mitarbeiter sprechen",
    "echten person",
    "einen berater",
    "un operatore",
    "una persona reale",
    "een mens",
    "een medewerker",
    "оператор",
    "живой человек",
    "человеком",
    "canlı destek",
    "müşteri temsilcisi",
    "z człowiekiem",
    "人間",
    "オペレーター",
    "担当者",
    "スタッフと話",
    "人工客服",
    "人工",
    "真人",
    "客服人员",
    "轉人工",
    "真人客服",
    "상담원",
    "사람과",
    "직원과",
    "موظف",
    "شخص حقيقي",
    "خدمة العملاء",
)
# Feedback after "did this solve it?": a reply that opens with one of these words...
YES_FIRST = (
    "yes",
    "yeah",
    "yep",
    "yup",
    "sure",
    "perfect",
    "great",
    "sí",
    "si",
    "claro",
    "sim",
    "oui",
    "parfait",
    "ja",
    "genau",
    "sì",
    "certo",
    "да",
    "evet",
    "tak",
    "はい",
    "ええ",
    "是的",
    "是",
    "对",
    "對",
    "好的",
    "네",
    "예",
    "نعم",
)
NO_FIRST = (
    "no",
    "nope",
    "não",
    "nao",
    "non",
    "nein",
    "nee",
    "нет",
    "hayır",
    "nie",
    "いいえ",
    "不是",
    "没有",
    "沒有",
    "不",
    "아니요",
    "아니",
    "لا",
)
# ...or that says so anywhere.
YES_ANYWHERE = (
    "it did",
    "that solved",
    "solved it",
    "that helped",
    "it helped",
    "it works",
    "resolvido",
    "resolveu",
    "ça marche",
    "hat geholfen",
    "помогло",
    "解決しました",
    "助かりました",
    "解决了",
    "解決了",
    "해결됐",
    "تم الحل",
)
NO_ANYWHERE = (
    "didn't help",
    "did not help",
    "doesn't help",
    "not solved",
    "not really",
    "still not",
    "no me ayudó",
    "no sirve",
    "não ajudou",
    "n'a pas aidé",
    "hat nicht geholfen",
    "не помогло",
    "解決しません",
    "役に立たない",
    "没用",
    "沒用",
    "不行",
    "도움이 안",
    "لم يساعد",
)
ORDER_WORDS = (
    "order",
    "package",
    "parcel",
    "shipment",
    "tracking",
    "pedido",
    "paquete",
    "encomenda",
    "commande",
    "colis",
    "bestellung",
    "paket",
    "sendung",
    "ordine",
    "pacco",
    "bestelling",
    "pakket",
    "заказ",
    "посылка",
    "sipariş",
    "kargo",
    "zamówienie",
    "注文",
    "荷物",
    "オーダー",
    "订单",
    "包裹",
    "快递",
    "訂單",
    "주문",
    "택배",
    "طلب",
    "طلبي",
    "شحنة",
)
_ORDER_ID = re.compile(r"(?:#|№|no\.?\s*|nr\.?\s*|n[º°]\s*)?\b([A-Z]{0,3}-?\d{4,12})\b", re.IGNORECASE)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


@dataclass(frozen=True)
class Signals:
    sentiment: str  # "angry" | "negative" | "neutral"
    wants_human: bool
    intent: str | None  # "order_status" | None
    order_id: str | None
    feedback: str | None  # "yes" | "no" | None (only meaningful after the bot asked)

    @property
    def angry(self) -> bool:
        return self.sentiment == "angry"

    def as_meta(self) -> dict[str, object]:
        return {
            "sentiment": self.sentiment,
            "wants_human": self.wants_human,
            "intent": self.intent,
            "feedback": self.feedback,
        }


def _normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


@cache
def _pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    spaced = sorted({_normalize(w) for w in words if not _CJK.search(w)}, key=len, reverse=True)
    unspaced = sorted({_normalize(w) for w in words if _CJK.search(w)}, key=len, reverse=True)
    parts = [r"(?<!\w)" + re.escape(w) + r"(?!\w)" for w in spaced] + [re.escape(w) for w in unspaced]
    return re.compile("|".join(parts))


def _has(words: tuple[str, ...], text: str) -> bool:
    return _pattern(words).search(text) is not None


def _starts(words: tuple[str, ...], text: str) -> bool:
    for word in sorted((_normalize(w) for w in words), key=len, reverse=True):
        if text.startswith(word) and (_CJK.search(word) or not text[len(word) : len(word) + 1].isalnum()):
            return True
    return False


def _shouting(raw: str) -> bool:
    letters = [c for c in raw if c.isalpha() and c.isascii()]
    caps = sum(1 for c in letters if c.isupper())
    return len(letters) >= 12 and caps / len(letters) > 0.7


def classify(raw: str) -> Signals:
    text = _normalize(raw)
    angry = _has(ANGRY, text) or (_shouting(raw) and "!" in raw)
    negative = angry or raw.count("!") >= 2 or _shouting(raw)
    order_id = None
    intent = None
    if _has(ORDER_WORDS, text):
        match = _ORDER_ID.search(raw)
        if match:
            order_id = match.group(1)
            intent = "order_status"
    feedback = None
    # Short replies only: a "no" inside a new, longer question is not an answer to ours.
    if intent is None and len(text) <= (20 if _CJK.search(text) else 80):
        opening = text.lstrip(" ¡¿\"'(「『")
        if _has(NO_ANYWHERE, text) or _starts(NO_FIRST, opening):
            feedback = "no"
        elif _has(YES_ANYWHERE, text) or _starts(YES_FIRST, opening):
            feedback = "yes"
    return Signals(
        sentiment="angry" if angry else "negative" if negative else "neutral",
        wants_human=_has(WANTS_HUMAN, text),
        intent=intent,
        order_id=order_id,
        feedback=feedback,
    )
