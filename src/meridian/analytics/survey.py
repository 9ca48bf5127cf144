"""The CSAT survey's words in the customer's language, and reading a rating reply."""

from __future__ import annotations

import re
from dataclasses import dataclass

from babel import Locale, UnknownLocaleError

# Sent after a resolution; the customer answers in the same chat with a digit.
SURVEY_TEXTS: dict[str, str] = {
    "en": "How would you rate our help? Reply with a number from 1 (poor) to 5 (excellent), "
    "and add a comment if you like.",
    "es": "¿Cómo valorarías nuestra ayuda? Responde con un número del 1 (mala) al 5 (excelente) "
    "y, si quieres, añade un comentario.",
    "pt": "Como você avalia o nosso atendimento? Responda com um número de 1 (ruim) a 5 (excelente) "
    "e, se quiser, deixe um comentário.",
    "de": "Wie zufrieden waren Sie mit unserer Hilfe? Antworten Sie mit einer Zahl von 1 (schlecht) "
    "bis 5 (ausgezeichnet) und gern mit einem Kommentar.",
    "fr": "Comment évaluez-vous notre aide ? Répondez par un chiffre de 1 (mauvaise) à 5 (excellente), "
    "avec un commentaire si vous le souhaitez.",
    "it": "Come valuti il nostro aiuto? Rispondi con un numero da 1 (scarso) a 5 (eccellente) "
    "e, se vuoi, aggiungi un commento.",
    "nl": "Hoe beoordeelt u onze hulp? Antwoord met een cijfer van 1 (slecht) tot 5 (uitstekend) "
    "en voeg gerust een opmerking toe.",
    "ja": "今回のサポートはいかがでしたか？1（不満）から5（大変満足）の数字でご返信ください。"
    "コメントもお気軽にどうぞ。",
    "ko": "저희 상담은 어떠셨나요? 1(불만족)부터 5(매우 만족)까지 숫자로 답해 주시고, "
    "의견이 있으면 함께 남겨 주세요.",
    "zh-Hans": "您对本次服务满意吗？请回复 1（不满意）到 5（非常满意）之间的数字，也欢迎留下您的意见。",
    "zh-Hant": "您對本次服務滿意嗎？請回覆 1（不滿意）到 5（非常滿意）之間的數字，也歡迎留下您的意見。",
    "ar": "ما تقييمك لمساعدتنا؟ يرجى الرد برقم من 1 (سيئة) إلى 5 (ممتازة)، ويمكنك إضافة تعليق إن شئت.",
}
DEFAULT_LANGUAGE = "en"
_HANT_REGIONS = frozenset({"TW", "HK", "MO"})


def survey_language(*candidates: str | None) -> str:
    """The first candidate (BCP 47) we have a survey text for, by exact tag then language."""
    for tag in candidates:
        if not tag:
            continue
        try:
            locale = Locale.parse(tag.replace("-", "_"))
        except (ValueError, UnknownLocaleError):
            continue
        if locale.language == "zh":
            hant = locale.script == "Hant" or (locale.script is None and locale.territory in _HANT_REGIONS)
            return "zh-Hant" if hant else "zh-Hans"
        if locale.language in SURVEY_TEXTS:
            return locale.language
    return DEFAULT_LANGUAGE


def survey_text(language: str) -> str:
    return SURVEY_TEXTS.get(language, SURVEY_TEXTS[DEFAULT_LANGUAGE])


@dataclass(frozen=True)
class Rating:
    score: int
    comment: str


# "5", "5/5", "4 - quick and kind", "５", "٥", "3 stars". Python's \d matches every
# script's decimal digits and int() reads them, so fullwidth and Arabic-Indic digits work.
_RATING = re.compile(
    r"^\s*(?P<score>\d)\s*(?:(?:/|\\|of|de|von|sur|out of)\s*\d)?\s*"
    r"(?:stars?|estrellas?|estrelas?|sterne?|étoiles?|点|分|星|つ星)?"
    r"(?:[\s.,:;!?\-–—、。，！]+(?P<comment>.*))?$",
    re.IGNORECASE | re.DOTALL,
)
_STARS = re.compile(r"^\s*(?P<stars>(?:⭐|★){1,5})(?:[\s.,:;!?\-–—、。，！]+(?P<comment>.*))?$", re.DOTALL)


def parse_rating(text: str) -> Rating | None:
    """A 1-5 rating at the start of ``text`` (digits in any script, or 1-5 stars)."""
    text = text.strip()
    match = _RATING.match(text)
    if match:
        score = int(match.group("score"))
        if 1 <= score <= 5:
            return Rating(score, (match.group("comment") or "").strip())
        return None
    stars = _STARS.match(text)
    if stars:
        return Rating(len(stars.group("stars")), (stars.group("comment") or "").strip())
    return None
