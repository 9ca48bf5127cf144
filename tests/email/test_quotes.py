from __future__ import annotations

import pytest

from meridian.channels.email.quotes import strip_quoted_reply

CASES = {
    "gmail_english": (
        "Thanks, that fixed it!\n\n"
        "On Mon, Jan 5, 2026 at 10:02 AM ACME Support <support@acme.example> wrote:\n\n"
        "> Please try restarting the router.\n>\n> Sabine\n",
        "Thanks, that fixed it!",
    ),
    "gmail_wrapped_attribution": (
        "Still broken.\n\nOn Mon, Jan 5, 2026 at 10:02 AM ACME Customer Support Team <\n"
        "support@acme.example> wrote:\n\n> Please try again.\n",
        "Still broken.",
    ),
    "german_apple_mail": (
        "Danke, jetzt geht es.\n\n"
        "Am 05.01.2026 um 10:02 schrieb ACME Support <support@acme.example>:\n\n"
        "> Bitte starten Sie den Router neu.\n",
        "Danke, jetzt geht es.",
    ),
    "german_outlook": (
        "Hallo,\n\ndas Netzteil fehlt noch.\n\nGruß\nMax\n\n"
        "Von: ACME Support <support@acme.example>\n"
        "Gesendet: Montag, 5. Januar 2026 10:02\n"
        "An: Max Mustermann <max@example.de>\n"
        "Betreff: [#1234] Ihre Bestellung\n\n"
        "Guten Tag Herr Mustermann,\nIhr Paket ist unterwegs.\n",
        "Hallo,\n\ndas Netzteil fehlt noch.\n\nGruß\nMax",
    ),
    "outlook_original_message": (
        "See below.\n\n-----Original Message-----\nFrom: ACME Support\n"
        "Sent: Monday, January 5, 2026 10:02 AM\nTo: Pat\nSubject: RE: Refund\n\nHello Pat,\n",
        "See below.",
    ),
    "outlook_underscore_rule_french": (
        "Merci pour votre aide.\n\n________________________________\n"
        "De : ACME Support <support@acme.example>\nEnvoyé : lundi 5 janvier 2026 10:02\n"
        "À : Jean Dupont\nObjet : [#77] Remboursement\n\nBonjour,\n",
        "Merci pour votre aide.",
    ),
    "french_gmail": (
        "Toujours rien reçu.\n\n"
        "Le lun. 5 janv. 2026 à 10:02, ACME Support <support@acme.example> a écrit :\n\n"
        "> Votre colis est parti.\n",
        "Toujours rien reçu.",
    ),
    "spanish": (
        "Sí, el pedido es el 4411.\n\n"
        "El lun, 5 ene 2026 a las 10:02, ACME Support (<support@acme.example>) escribió:\n\n"
        "> ¿Cuál es su número de pedido?\n",
        "Sí, el pedido es el 4411.",
    ),
    "portuguese": (
        "Obrigada, recebi hoje.\n\n"
        "Em seg., 5 de jan. de 2026 às 10:02, ACME Support <support@acme.example> escreveu:\n\n"
        "> Seu pedido foi enviado.\n",
        "Obrigada, recebi hoje.",
    ),
    "japanese_gmail": (
        "ありがとうございます。確認しました。\n\n"
        "2026年1月5日(月) 10:02 ACME Support <support@acme.example>:\n\n"
        "> 発送いたしました。\n",
        "ありがとうございます。確認しました。",
    ),
    "japanese_outlook_message_header": (
        "承知しました。\n\n山田太郎 のメッセージ:\n\n配送状況を確認してください。\n",
        "承知しました。",
    ),
    "japanese_outlook_block": (
        "よろしくお願いします。\n\n差出人: ACME Support <support@acme.example>\n"
        "送信日時: 2026年1月5日 10:02\n宛先: 山田太郎\n件名: Re: 配送\n\n本文\n",
        "よろしくお願いします。",
    ),
    "chinese_foxmail": (
        "好的，谢谢。\n\n在 2026年1月5日，上午10:02，ACME Support <support@acme.example> 写道：\n\n"
        "> 您的订单已发货。\n",
        "好的，谢谢。",
    ),
    "chinese_gmail": (
        "收到了。\n\nACME Support <support@acme.example> 于2026年1月5日周一 10:02写道：\n\n"
        "> 您的订单已发货。\n",
        "收到了。",
    ),
    "chinese_outlook_block": (
        "请尽快处理。\n\n发件人: ACME Support <support@acme.example>\n"
        "发送时间: 2026年1月5日 10:02\n收件人: 张伟\n主题: 订单\n\n您好\n",
        "请尽快处理。",
    ),
    "russian_thunderbird": (
        "Спасибо, всё работает.\n\n05.01.2026 10:02, ACME Support пишет:\n> Попробуйте ещё раз.\n",
        "Спасибо, всё работает.",
    ),
    "signature_delimiter": (
        "The tracking number does not work.\n\n-- \nPat Doe\nHead of Ops, Example Ltd\n",
        "The tracking number does not work.",
    ),
    "iphone": ("Where is my order?\n\nSent from my iPhone\n", "Where is my order?"),
    "german_iphone": ("Wo bleibt das Paket?\n\nVon meinem iPhone gesendet\n", "Wo bleibt das Paket?"),
    "japanese_iphone": ("届いていません。\n\niPhoneから送信\n", "届いていません。"),
    "outlook_mobile": ("Ok.\n\nGet Outlook for Android\n", "Ok."),
    "bottom_posting_keeps_reply": (
        "On Mon, Jan 5, 2026 at 10:02 AM ACME Support <support@acme.example> wrote:\n"
        "> Which colour did you order?\n\nBlue, size M.\n",
        "Blue, size M.",
    ),
    "inline_answers_keep_every_answer": (
        "> Which colour?\nBlue.\n> Which size?\nM.\n",
        "Blue.\nM.",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_strips_quoted_history(case: str) -> None:
    text, expected = CASES[case]
    assert strip_quoted_reply(text) == expected


def test_customer_text_that_merely_mentions_writing_stays() -> None:
    text = "As your colleague wrote:\nthe refund takes 5 days. It has been 10."
    assert strip_quoted_reply(text) == text


def test_a_list_of_fields_is_not_an_outlook_header() -> None:
    text = "My details:\nFrom: Berlin\nTo visit: Paris next week"
    # "From:" followed by "To visit:" is not Outlook's block ("To:" must be a label).
    assert strip_quoted_reply(text) == text


def test_nothing_new_keeps_the_original() -> None:
    text = "> only a quote\n> nothing else"
    assert strip_quoted_reply(text) == text


def test_windows_line_endings() -> None:
    text = "Yes.\r\n\r\nOn Mon, Jan 5, 2026, Ann <ann@example.com> wrote:\r\n> Do you?\r\n"
    assert strip_quoted_reply(text) == "Yes."
