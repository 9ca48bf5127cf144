from __future__ import annotations

import re

import pytest

from meridian.translation.glossary import (
    HTML_NO_TRANSLATE,
    TOKENS,
    XML_IGNORED,
    Glossary,
    GlossaryTerm,
    GlossaryTermLost,
    Markup,
    protect,
)

GLOSSARY = Glossary(
    terms=(
        GlossaryTerm("Meridian Pro", do_not_translate=True),
        GlossaryTerm("cart", translations={"de": "Warenkorb", "ja": "カート", "ar": "سلة التسوق"}),
        GlossaryTerm("gift card", translations={"de": "Geschenkkarte"}),
        GlossaryTerm("card", translations={"de": "Karte"}),
        GlossaryTerm("café", translations={"de": "Kaffeehaus", "es": "cafetería"}),
        GlossaryTerm("购物车", translations={"en": "shopping cart", "de": "Warenkorb"}),
        GlossaryTerm("سلة", translations={"en": "basket", "de": "Korb"}),
        GlossaryTerm("ポイント", do_not_translate=True),
    )
)


def round_trip(text: str, *, source: str | None, target: str, markup: Markup) -> str:
    batch = protect([text], GLOSSARY, source=source, target=target, markup=markup)
    # A stand-in "provider" that upper-cases everything, markers included (worst case).
    return batch.restore(0, batch.texts[0].upper())


@pytest.mark.parametrize("markup", [TOKENS, XML_IGNORED, HTML_NO_TRANSLATE])
def test_protected_terms_survive_a_transforming_provider(markup: Markup) -> None:
    out = round_trip(
        "Is Meridian Pro in my cart? Also a gift card & 2 < 3.",
        source="en",
        target="de",
        markup=markup,
    )
    # Everything else was upper-cased by the "provider"; glossary wording was not.
    assert out == "IS Meridian Pro IN MY Warenkorb? ALSO A Geschenkkarte & 2 < 3."


def test_do_not_translate_keeps_the_occurrence_as_written() -> None:
    batch = protect(["meridian pro rocks"], GLOSSARY, source="en", target="de", markup=TOKENS)
    assert batch.texts == ["⟦0⟧ rocks"]
    assert batch.restore(0, "⟦0⟧ ist toll") == "meridian pro ist toll"


def test_forced_translation_follows_the_writers_case() -> None:
    def once(text: str) -> str:
        batch = protect([text], GLOSSARY, source="en", target="de", markup=TOKENS)
        return batch.restore(0, batch.texts[0])

    assert once("my CART is empty") == "my WARENKORB is empty"
    # Sentence-initial capitals say nothing; the glossary's wording is kept.
    assert once("Cart is empty. cart again") == "Warenkorb is empty. Warenkorb again"
    assert once("the Café opens") == "the Kaffeehaus opens"


def test_accented_latin_is_matched_on_word_boundaries() -> None:
    batch = protect(["Le café et la cafétéria, CAFÉ!"], GLOSSARY, source="fr", target="de", markup=TOKENS)
    assert batch.texts == ["Le ⟦0⟧ et la cafétéria, ⟦1⟧!"]
    assert batch.restore(0, batch.texts[0]) == "Le Kaffeehaus et la cafétéria, KAFFEEHAUS!"
    # Decomposed input (e + combining accent) is the same word.
    decomposed = protect(["un cafe\u0301"], GLOSSARY, source="fr", target="de", markup=TOKENS)
    assert decomposed.texts == ["un ⟦0⟧"]


def test_source_language_spelling_is_recognised() -> None:
    batch = protect(["Quiero un cafetería"], GLOSSARY, source="es", target="de", markup=TOKENS)
    assert batch.restore(0, batch.texts[0]) == "Quiero un Kaffeehaus"
    # Without the source language, only the glossary term itself is looked for.
    assert protect(["un cafetería"], GLOSSARY, source=None, target="de", markup=TOKENS).texts == [
        "un cafetería"
    ]


def test_cjk_terms_match_inside_running_text() -> None:
    batch = protect(["我的购物车是空的"], GLOSSARY, source="zh-Hans", target="en", markup=TOKENS)
    assert batch.texts == ["我的⟦0⟧是空的"]
    assert batch.restore(0, "My ⟦0⟧ is empty") == "My shopping cart is empty"
    japanese = protect(["ポイントが使えません"], GLOSSARY, source="ja", target="en", markup=TOKENS)
    assert japanese.restore(0, "I can't use ⟦0⟧") == "I can't use ポイント"


def test_arabic_terms_take_attached_articles_but_not_longer_words() -> None:
    batch = protect(["أين السلة؟ رأيت مسلة"], GLOSSARY, source="ar", target="en", markup=TOKENS)
    # "السلة" is "the basket"; "مسلة" (obelisk) merely contains the letters.
    assert batch.texts == ["أين ⟦0⟧؟ رأيت مسلة"]
    assert batch.restore(0, "Where is the ⟦0⟧? I saw an obelisk") == ("Where is the basket? I saw an obelisk")


def test_arabic_target_wording() -> None:
    batch = protect(["Your cart"], GLOSSARY, source="en", target="ar", markup=HTML_NO_TRANSLATE)
    translated = re.sub(r"YOUR", "سلتك", batch.texts[0].upper())
    assert batch.restore(0, translated) == "سلتك سلة التسوق"


def test_longest_term_wins_and_other_texts_are_escaped_in_markup_mode() -> None:
    batch = protect(
        ["a gift card", "Tom & Jerry\nline two"],
        GLOSSARY,
        source="en",
        target="de",
        markup=HTML_NO_TRANSLATE,
    )
    assert batch.uses_markup
    assert batch.texts[1] == "Tom &amp; Jerry<br>line two"
    assert batch.restore(0, batch.texts[0]) == "a Geschenkkarte"
    assert batch.restore(1, batch.texts[1]) == "Tom & Jerry\nline two"


def test_no_glossary_match_sends_plain_text() -> None:
    batch = protect(["Tom & Jerry"], GLOSSARY, source="en", target="de", markup=XML_IGNORED)
    assert not batch.uses_markup
    assert batch.texts == ["Tom & Jerry"]
    assert protect(["x"], None, source=None, target="de", markup=TOKENS).texts == ["x"]


def test_terms_without_wording_for_the_target_are_left_to_the_provider() -> None:
    batch = protect(["my cart"], GLOSSARY, source="en", target="fr", markup=TOKENS)
    assert batch.texts == ["my cart"]


def test_regional_target_uses_the_languages_wording() -> None:
    term = GlossaryTerm("order", translations={"pt": "pedido", "pt-PT": "encomenda"})
    glossary = Glossary((term,))
    assert term.rendering_for("pt-BR") == "pedido"
    assert term.rendering_for("pt_PT") == "encomenda"
    batch = protect(["my order"], glossary, source="en", target="pt-PT", markup=TOKENS)
    assert batch.restore(0, "a minha ⟦0⟧") == "a minha encomenda"


def test_a_dropped_marker_is_an_error() -> None:
    batch = protect(["my cart"], GLOSSARY, source="en", target="de", markup=TOKENS)
    with pytest.raises(GlossaryTermLost) as caught:
        batch.restore(0, "mein Einkaufswagen")
    assert not caught.value.transient
    assert "Warenkorb" in caught.value.message
