from __future__ import annotations

from meridian.languages.cleanup import (
    clean_for_detection,
    information_score,
    strip_quoted_history,
)


def test_strips_quoted_reply_history_in_several_languages() -> None:
    english_quote = (
        "Hola, ¿dónde está mi pedido?\n\n"
        "On Mon, Jan 5, 2026 at 10:00 AM Support <help@shop.example> wrote:\n"
        "> Hello, thanks for contacting us.\n> Best regards"
    )
    french_quote = (
        "Merci beaucoup !\n\nLe lun. 5 janv. 2026 à 10:00, Support <help@shop.example> "
        "a écrit :\n> Hello there"
    )
    assert strip_quoted_history(english_quote).strip() == "Hola, ¿dónde está mi pedido?"
    assert strip_quoted_history(french_quote).strip() == "Merci beaucoup !"
    assert "quoted" not in strip_quoted_history("Gracias\n> quoted line\nmás texto")


def test_removes_urls_emails_numbers_and_ids() -> None:
    text = "Order #A-99812 (4 items, 59,90 €): see https://shop.example/o/1 or mail me@x.io"
    assert clean_for_detection(text) == "Order ( items, €): see or mail"


def test_information_score_weighs_scripts() -> None:
    assert information_score("ok") == 2
    assert information_score("👍 !!") == 0
    # One Han character carries about as much as a short Latin word.
    assert information_score("谢谢") == 6
    # Devanagari vowel signs are combining marks, and count.
    assert information_score("कहाँ") == 4


def test_numbers_inside_unspaced_scripts_leave_the_words() -> None:
    assert clean_for_detection("注文番号12345の商品がまだ届きません") == "注文番号 の商品がまだ届きません"
    assert clean_for_detection("订单号：１２３４５６") == "订单号："
