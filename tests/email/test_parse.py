from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest

from meridian.channels.email.parse import (
    SYNTHETIC_ID_DOMAIN,
    parse_email,
    raw_bytes,
    raw_text,
    to_inbound,
)

Eml = Callable[[str], bytes]


@pytest.mark.parametrize(
    ("name", "sender", "subject", "text"),
    [
        (
            "gb2312",
            ("朱镕", "zhu.rong@example.cn"),
            "订单还没有发货",
            "您好，\n\n我上周订购的打印机（订单号 20260105-88）至今还没有发货，请问什么时候能寄出？"
            "\n\n朱镕\n北京",
        ),
        (
            "big5",
            ("陳美玲", "chan.mei@example.com.hk"),
            "包裹破損，請求換貨",
            "客服您好：\n\n我在香港的大廈𨋢口收到包裹，但是盒子破損了。\n請問可以換貨嗎？\n\n陳小姐",
        ),
        (
            "shift_jis",
            ("髙橋 一郎", "takahashi@example.co.jp"),
            "請求書について（㈱髙橋商事）",
            "お世話になっております。\n㈱髙橋商事の髙橋です。\n\n① 請求書の宛名を変更したいです。"
            "\n② 支払い期日を教えてください。\n\nよろしくお願いいたします。",
        ),
        (
            "iso2022jp",
            ("佐藤花子", "sato.hanako@example.jp"),
            "Re: 配送状況の確認",
            "山田様\n\nご返信ありがとうございます。\n明日の午前中に再度確認いたします。\n\n佐藤\n\n"
            "2026年1月7日(水) 18:20 山田太郎 <yamada@example.jp>:\n> 配送状況を確認してください。",
        ),
        (
            "koi8r",
            ("Иван Петров", "ivan.petrov@example.ru"),
            "Не могу войти в кабинет",
            "Здравствуйте!\n\nНе могу войти в личный кабинет: пишет 'неверный пароль'.\n"
            "Пароль сбрасывал дважды.\n\nС уважением,\nИван Петров",
        ),
        (
            "windows1252",
            ("Renée Müller", "renee.mueller@example.fr"),
            "Missing charger – order “ACME-4411”",
            "Hello,\n\nmy order “ACME-4411” arrived without the charger – I paid €49.90 for it.\n"
            "Could you send it separately?\n\nThanks,\nRenée",
        ),
    ],
)
def test_charsets_decode_exactly(
    eml: Eml, name: str, sender: tuple[str, str], subject: str, text: str
) -> None:
    parsed = parse_email(eml(name))
    assert parsed.sender is not None
    assert (parsed.sender.name, parsed.sender.email) == sender
    assert parsed.subject == subject
    assert parsed.text == text
    assert parsed.malformed is False, parsed.defects


def test_headers_ids_and_date(eml: Eml) -> None:
    parsed = parse_email(eml("iso2022jp"))
    assert parsed.message_id == "b3d0f6c2-7f1e-4d0a-9c39-2a1f0e0d5b11@example.jp"
    assert parsed.in_reply_to == ["20260107182000.abc@example.jp"]
    assert parsed.references == ["20260107182000.abc@example.jp"]
    assert parsed.thread_refs == ["20260107182000.abc@example.jp"]
    assert parsed.date == datetime(2026, 1, 8, 9, 0, tzinfo=timezone(timedelta(hours=9)))
    assert parsed.date is not None and parsed.date.utcoffset() == timedelta(hours=9)


def test_display_name_with_comma_stays_one_address(eml: Eml) -> None:
    parsed = parse_email(eml("outlook_german_reply"))
    assert parsed.sender is not None
    assert parsed.sender.name == "Mustermann, Max"
    assert parsed.sender.email == "Max.Mustermann@Example.DE"
    assert [(a.name, a.email) for a in parsed.to] == [("ACME Support", "support@acme.example")]


def test_gb2312_html_alternative_is_sanitized_and_text_prefers_plain(eml: Eml) -> None:
    parsed = parse_email(eml("gb2312"))
    assert parsed.html is not None
    assert "<div>朱镕</div>" in parsed.html
    assert "<meta" not in parsed.html
    assert parsed.attachments == []


def test_html_only_mail_gets_text_and_loses_scripts_and_trackers(eml: Eml) -> None:
    parsed = parse_email(eml("html_only"))
    assert parsed.text == ("Hi team,\n\nthe invoice PDF link is broken: invoice 77.\n\nBest,\nAna Souza")
    assert parsed.html is not None
    assert "script" not in parsed.html and "evil.example" not in parsed.html
    assert "track.example" not in parsed.html
    assert '<a href="https://acme.example/invoices/77" rel="noopener noreferrer nofollow">' in (parsed.html)


def test_inline_image_and_attachment(eml: Eml) -> None:
    parsed = parse_email(eml("inline_and_attachment"))
    assert parsed.subject == "Defektes Gerät – Foto und Rechnung"
    assert parsed.text == (
        "Guten Tag,\n\ndas Gerät zeigt diesen Fehler (Foto unten). Die Rechnung hänge ich an."
        "\n\nGrüße\nJürgen"
    )
    image, pdf = parsed.attachments
    assert (image.filename, image.content_type, image.inline) == ("Fehler.png", "image/png", True)
    assert image.content_id == "F3A1B2C3-0001@example.de"
    assert image.data.startswith(b"\x89PNG\r\n\x1a\n")
    assert (pdf.filename, pdf.content_type, pdf.inline) == (
        "Rechnung März 2026.pdf",
        "application/pdf",
        False,
    )
    assert pdf.data.startswith(b"%PDF-1.4")
    # The cid: reference survives sanitizing so the inline image can be shown.
    assert parsed.html is not None and 'src="cid:F3A1B2C3-0001@example.de"' in parsed.html


def test_malformed_message_never_raises_and_says_what_was_wrong(eml: Eml) -> None:
    raw = eml("malformed")
    parsed = parse_email(raw)
    assert parsed.malformed is True
    # policy.default raises on "format*" with no value; compat32 read it instead.
    assert parsed.defects[0].startswith("default email policy failed: IndexError")
    assert "text/plain part: unknown charset 'x-mac-bogus'" in parsed.defects
    assert "CloseBoundaryNotFoundDefect" in parsed.defects
    assert "unparseable Date: 'sometime last week'" in parsed.defects
    assert parsed.subject == "Problème avec ma commande"
    assert parsed.sender is not None and parsed.sender.name == "Bob"
    assert parsed.text == "Bonjour, ma commande n°4521 est arrivée cassée."
    assert parsed.date is None
    # No Message-ID: a stable one from the bytes, so a second fetch dedupes.
    assert parsed.message_id_synthesized
    assert parsed.message_id.endswith(f"@{SYNTHETIC_ID_DOMAIN}")
    assert parse_email(raw).message_id == parsed.message_id
    assert parse_email(raw + b"\n").message_id != parsed.message_id


def test_missing_boundary_still_shows_the_text() -> None:
    raw = (
        b"From: x@example.com\r\nMessage-ID: <a@b>\r\n"
        b"Content-Type: multipart/mixed; boundary=zzz\r\n\r\n"
        b"--other\r\nContent-Type: text/plain\r\n\r\nhello\r\n--other--\r\n"
    )
    parsed = parse_email(raw)
    assert "hello" in parsed.text
    assert "StartBoundaryNotFoundDefect" in parsed.defects


def test_format_flowed_is_unwrapped() -> None:
    raw = (
        b"From: a@example.com\r\nMessage-ID: <f@x>\r\n"
        b"Content-Type: text/plain; charset=utf-8; format=flowed\r\n\r\n"
        b"This line was wrapped by the \r\nsender's client.\r\n\r\n"
        b"> quoted and \r\n> wrapped\r\n-- \r\nSig\r\n"
    )
    assert parse_email(raw).text == (
        "This line was wrapped by the sender's client.\n\n> quoted and wrapped\n-- \nSig"
    )


def test_raw_8bit_headers_and_minus_zero_zone() -> None:
    raw = (
        "From: 王小明 <wang@example.cn>\r\nSubject: 发票问题\r\n"
        "Date: Mon, 5 Jan 2026 10:00:00 -0000\r\nMessage-ID: <h@x>\r\n\r\nbody\r\n"
    ).encode()
    parsed = parse_email(raw)
    assert parsed.subject == "发票问题"
    assert parsed.sender is not None and parsed.sender.name == "王小明"
    assert parsed.date == datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


def test_to_inbound(eml: Eml) -> None:
    parsed = parse_email(eml("outlook_german_reply"))
    inbound = to_inbound(parsed)
    our_id = "conv-01943a2b-7c4d-7e1f-8a9b-0c1d2e3f4a5b.01943a2b-9999-7e1f-8a9b-0c1d2e3f4a5b@acme.example"
    assert inbound.content_type == "email"
    assert inbound.external_id == ("AM0PR07MB1234ABCD5678EF90@AM0PR07MB1234.eurprd07.prod.outlook.com")
    assert inbound.contact.identifier == "max.mustermann@example.de"
    assert inbound.contact.email == "max.mustermann@example.de"
    assert inbound.contact.name == "Mustermann, Max"
    assert inbound.thread_refs == (our_id,)
    assert inbound.subject == "AW: [#1234] Ihre Bestellung"
    # The quoted Outlook history is not part of what the agent reads.
    assert inbound.body == (
        "Hallo Frau Schmidt,\n\ndas Paket ist heute angekommen, aber es fehlt das Netzteil."
        "\n\nMit freundlichen Grüßen\nMax Mustermann"
    )
    # Text and addresses live in the vault only: the row's meta holds ids and flags.
    assert not {"full_text", "to", "cc", "reply_to"} & set(inbound.meta)
    assert inbound.meta["references"] == [our_id, inbound.external_id]
    assert inbound.sent_at == datetime(2026, 1, 13, 7, 12, 40, tzinfo=UTC)
    assert inbound.raw is not None
    assert raw_bytes(inbound.raw, inbound.meta["raw_encoding"]) == parsed.raw


def test_to_inbound_attachments(eml: Eml) -> None:
    inbound = to_inbound(parse_email(eml("inline_and_attachment")))
    assert [(a.filename, a.content_type, a.size) for a in inbound.attachments] == [
        ("Fehler.png", "image/png", 67),
        ("Rechnung März 2026.pdf", "application/pdf", 45),
    ]
    assert inbound.meta["content_ids"] == {"F3A1B2C3-0001@example.de": 0}


def test_raw_text_is_lossless_and_free_of_surrogates(eml: Eml) -> None:
    for name in ("shift_jis", "koi8r", "gb2312", "malformed"):
        raw = eml(name)
        text, encoding = raw_text(raw)
        assert text.encode(encoding) == raw == raw_bytes(text, encoding)
        assert not any("\ud800" <= ch <= "\udfff" for ch in text)
        text.encode("utf-8")  # storable in a PostgreSQL text column


def test_nul_bytes_never_reach_the_database_but_the_raw_mail_survives() -> None:
    raw = (
        b"From: a@example.com\r\nSubject: bad\x00mailer\r\nMessage-ID: <x@example.com>\r\n"
        b"Content-Type: text/plain\r\n\r\nline one\x00line two\r\n"
    )
    inbound = to_inbound(parse_email(raw))
    assert inbound.raw is not None and "\x00" not in inbound.raw
    assert inbound.meta["raw_encoding"] == "base64"
    assert raw_bytes(inbound.raw, "base64") == raw
    assert "\x00" not in inbound.body and "line one\ufffdline two" in inbound.body
    assert inbound.subject is not None and "\x00" not in inbound.subject


def test_an_overlong_message_id_gets_a_stable_storable_external_id() -> None:
    long_id = "a" * 300 + "@example.com"
    raw = f"From: a@example.com\r\nMessage-ID: <{long_id}>\r\n\r\nhi\r\n".encode()
    first, second = to_inbound(parse_email(raw)), to_inbound(parse_email(raw))
    assert len(first.external_id) <= 255 and first.external_id == second.external_id
    assert first.meta["message_id"] == long_id


def test_raw_8bit_ids_are_storable_and_match_their_references() -> None:
    first = b"From: a@example.com\r\nMessage-ID: <caf\xe9@example.com>\r\n\r\nhi\r\n"
    reply = b"From: b@example.com\r\nIn-Reply-To: <caf\xe9@example.com>\r\n\r\nre\r\n"
    original, answer = to_inbound(parse_email(first)), to_inbound(parse_email(reply))
    assert original.external_id == "café@example.com"
    assert answer.thread_refs == (original.external_id,)
    original.external_id.encode("utf-8")  # no lone surrogates left
