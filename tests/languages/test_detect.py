from __future__ import annotations

import json
from pathlib import Path

import pytest

from meridian.languages.detect import Detection, detect_language, supported_languages

BENCHMARK = Path(__file__).parents[2] / "benchmarks" / "data" / "language_detection.jsonl"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Where is my order? It was due last week.", "en"),
        ("¿Dónde está mi pedido? Lo compré hace diez días.", "es"),
        ("Ainda não recebi a minha encomenda, podem verificar?", "pt"),
        ("Bonjour, je n'ai toujours pas reçu mon colis.", "fr"),
        ("Hallo, meine Bestellung ist immer noch nicht angekommen.", "de"),
        ("Il pacco è arrivato danneggiato, cosa devo fare?", "it"),
        ("Ik heb mijn pakket nog steeds niet ontvangen.", "nl"),
        ("Paczka przyszła uszkodzona, proszę o zwrot pieniędzy.", "pl"),
        ("Здравствуйте, мой заказ до сих пор не пришёл.", "ru"),
        ("Добрий день, моє замовлення досі не прийшло.", "uk"),
        ("Siparişim hâlâ gelmedi, yardımcı olur musunuz?", "tr"),
        ("مرحبا، لم أستلم طلبي حتى الآن", "ar"),
        ("שלום, עדיין לא קיבלתי את ההזמנה שלי", "he"),
        ("سلام، هنوز سفارشم به دستم نرسیده است", "fa"),
        ("नमस्ते, मेरा ऑर्डर अभी तक नहीं आया है", "hi"),
        ("สวัสดีครับ ยังไม่ได้รับสินค้าเลยครับ", "th"),
        ("Xin chào, tôi vẫn chưa nhận được đơn hàng.", "vi"),
        ("Halo, pesanan saya belum sampai sampai sekarang.", "id"),
        ("注文した商品がまだ届いていません。", "ja"),
        ("주문한 상품이 아직 도착하지 않았어요.", "ko"),
        ("我的订单还没有到，请帮我查一下。", "zh-Hans"),
        ("我的訂單還沒有到，請幫我查一下。", "zh-Hant"),
        ("Hej, jag har fortfarande inte fått mitt paket.", "sv"),
    ],
)
def test_detects_short_customer_messages(text: str, language: str) -> None:
    found = detect_language(text)
    assert found.language == language
    assert 0.0 < found.confidence <= 1.0


def test_a_full_sentence_is_reliable_and_a_few_words_are_not() -> None:
    long = detect_language("I was charged twice for the same order, please refund one payment.")
    assert long.language == "en"
    assert long.reliable
    short = detect_language("Where is my order?")
    assert short.language == "en"
    assert not short.reliable


@pytest.mark.parametrize(
    "text", ["ok", "thx", "👍", "👍👍 !!", "12345", "#A-99812", "https://shop.example/o/77", ""]
)
def test_low_information_text_falls_back_to_the_known_language(text: str) -> None:
    assert detect_language(text, fallback="pt_BR") == Detection("pt-BR", 0.0, False)
    assert detect_language(text) == Detection(None, 0.0, False)


def test_ids_urls_and_emails_do_not_count_as_words() -> None:
    text = "ORD-2231-XK https://track.example/ORD-2231 ana@example.com"
    assert detect_language(text, fallback="de").language == "de"


def test_quoted_history_does_not_decide_the_language() -> None:
    reply = (
        "Hola, todavía no ha llegado nada.\n\n"
        "On Mon, Jan 5, 2026 at 10:00 AM Support <help@shop.example> wrote:\n"
        "> Hello, your order has been shipped and should arrive within three days.\n"
        "> Kind regards, the support team"
    )
    assert detect_language(reply).language == "es"


def test_candidates_restrict_the_choice() -> None:
    # Open-set detection of this short Indonesian line is unsure between id and ms;
    # a workspace that serves only en/id/ja has no such doubt.
    text = "Tolong batalkan pesanan saya."
    found = detect_language(text, candidates=["en", "id", "ja"])
    assert found.language == "id"
    restricted = detect_language("Onde está o meu pedido?", candidates=["en", "es", "pt-BR"])
    assert restricted.language == "pt"


def test_unknown_candidates_are_ignored_and_one_candidate_still_works() -> None:
    assert detect_language("Wo ist meine Bestellung?", candidates=["qaa", "de"]).language == "de"
    # A text that is none of the candidates is not forced into one.
    spanish = "¿Dónde está mi pedido?"
    assert detect_language(spanish, candidates=["en"]) == Detection(None, 0.0, False)
    assert detect_language(spanish, candidates=["en"], fallback="es").language == "es"
    assert detect_language("Where is my order? It was due last week", candidates=["en"]).reliable


def test_contact_language_breaks_a_close_call() -> None:
    # Indonesian and Malay share most words; what we know about the contact decides.
    text = "Terima kasih atas bantuannya"
    as_malay = detect_language(text, fallback="ms")
    assert (as_malay.language, as_malay.reliable) == ("ms", False)
    assert detect_language(text, fallback="id").language == "id"
    # A reliable detection is not overridden by a contact's old language.
    assert detect_language("Bonjour, je n'ai toujours pas reçu mon colis.", fallback="de").language == "fr"


def test_known_regional_variant_is_kept() -> None:
    found = detect_language("Ainda não recebi a minha encomenda, podem verificar?", fallback="pt_BR")
    assert (found.language, found.reliable) == ("pt-BR", True)


def test_chinese_script_beats_the_contacts_old_variant() -> None:
    # "谢谢" is written only in Simplified characters, whatever we knew before.
    assert detect_language("谢谢你们", fallback="zh-TW").language == "zh-Hans"
    assert detect_language("謝謝你們", fallback="zh-CN").language == "zh-Hant"


def test_chinese_script_variant() -> None:
    assert detect_language("请问退款什么时候到账？").language == "zh-Hans"
    assert detect_language("請問退款什麼時候會入帳？").language == "zh-Hant"
    # Only characters both systems share: the contact's known variant decides, unreliably.
    shared = "您好，我需要修改收件地址。"
    assert detect_language(shared, fallback="zh-TW") == Detection("zh-Hant", 1.0, False)
    assert detect_language(shared, fallback="zh-CN").language == "zh-Hans"
    assert detect_language(shared, candidates=["en", "zh-Hant"]).language == "zh-Hant"


def test_supported_languages_are_normalized_tags() -> None:
    tags = supported_languages()
    assert {"en", "zh-Hans", "zh-Hant", "nb", "fil"} <= set(tags)
    assert "zh" not in tags


def test_accuracy_on_the_benchmark_set() -> None:
    rows = [json.loads(line) for line in BENCHMARK.read_text(encoding="utf-8").splitlines()]
    languages = {row["language"] for row in rows}
    assert len(languages) >= 20
    assert all(sum(r["language"] == lang for r in rows) >= 25 for lang in languages)
    right = sum(detect_language(row["text"]).language == row["language"] for row in rows)
    assert right / len(rows) >= 0.97
