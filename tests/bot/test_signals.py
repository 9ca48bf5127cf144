"""The word-list classifier: clear cases in several languages, and what it must not flag."""

from __future__ import annotations

import pytest

from meridian.bot.signals import classify


@pytest.mark.parametrize(
    "text",
    [
        "This is RIDICULOUS, I want my money back!!!",
        "Your service is a scam",
        "¡Es una vergüenza, son unos inútiles!",
        "C'est inadmissible, je suis furieux",
        "Das ist eine Frechheit!",
        "最悪です。ふざけるな",
        "太差了，垃圾服务",
        "WHERE IS MY ORDER, I HAVE BEEN WAITING FOR WEEKS!",
    ],
)
def test_angry(text: str) -> None:
    assert classify(text).angry


@pytest.mark.parametrize(
    "text",
    [
        "How do I reset my password?",
        "¿Cuánto tarda el envío?",
        "返品したいのですが",
        "Danke, alles gut",
        "no",
    ],
)
def test_calm(text: str) -> None:
    assert classify(text).sentiment != "angry"


@pytest.mark.parametrize(
    "text",
    [
        "I want to talk to a human",
        "Quiero hablar con una persona",
        "オペレーターと話したい",
        "转人工",
        "상담원 연결",
    ],
)
def test_wants_a_person(text: str) -> None:
    assert classify(text).wants_human


def test_order_intent_and_feedback() -> None:
    order = classify("Where is my order #48213?")
    assert order.intent == "order_status" and order.order_id == "48213" and order.feedback is None
    assert classify("Mi pedido 7730 no llegó").feedback is None  # a new question, not a "no"
    assert classify("Sí, gracias").feedback == "yes"
    assert classify("はい").feedback == "yes"
    assert classify("no, still broken").feedback == "no"
    assert classify("我的订单是不是已经发货了").feedback is None
    assert classify("How long does shipping take?").feedback is None
