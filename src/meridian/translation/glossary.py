"""Glossary terms that survive machine translation.

Before a text goes to a provider, each glossary term found in it is wrapped in a marker
the provider is documented (or instructed) to leave alone, already holding the wording
we want in the result: the term itself when it must not be translated, the forced
translation for the target language otherwise. After translation the markers are
replaced by that wording, so a provider that moves, re-cases or even translates the
marker's content cannot change a glossary term.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape as xml_escape

from meridian.languages.tags import normalize_language_tag, primary_language
from meridian.translation.base import TranslationError


@dataclass(frozen=True, slots=True)
class GlossaryTerm:
    term: str
    do_not_translate: bool = False
    # Forced translations by target language (BCP 47): {"de": "Warenkorb"}.
    translations: Mapping[str, str] = field(default_factory=dict)

    def rendering_for(self, target: str) -> str | None:
        """The forced wording in ``target``: exact tag first, then same language (pt-BR -> pt)."""
        wanted = normalize_language_tag(target)
        by_tag = {normalize_language_tag(tag): text for tag, text in self.translations.items()}
        if wanted in by_tag:
            return by_tag[wanted]
        primary = wanted.split("-")[0]
        for tag, text in by_tag.items():
            if tag.split("-")[0] == primary:
                return text
        return None


@dataclass(frozen=True, slots=True)
class Glossary:
    terms: Sequence[GlossaryTerm] = ()


class GlossaryTermLost(TranslationError):
    """The provider dropped a protected term, so the translation would silently lose it."""

    def __init__(self, message: str) -> None:
        super().__init__(message, transient=False)


@dataclass(frozen=True, slots=True)
class Markup:
    """How protected spans are written for one family of providers."""

    wrap: Callable[[int, str], str]
    pattern: re.Pattern[str]  # group 1 is the span's index
    escape: Callable[[str], str]
    unescape: Callable[[str], str]
    # Whether the provider must be told the text is markup (tag_handling, format=html...).
    is_markup: bool


def _html_escape(text: str) -> str:
    # In HTML mode line breaks are insignificant whitespace; <br> keeps them.
    return html.escape(text, quote=False).replace("\n", "<br>")


_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)


def _html_unescape(text: str) -> str:
    return html.unescape(_BR.sub("\n", text))


# Plain-text providers (LLMs, Argos): an opaque token, which the prompt asks to keep.
TOKENS = Markup(
    wrap=lambda index, _inner: f"⟦{index}⟧",
    pattern=re.compile(r"⟦\s*(\d+)\s*⟧"),
    escape=lambda text: text,
    unescape=lambda text: text,
    is_markup=False,
)
# DeepL: tag_handling=xml with ignore_tags=x leaves <x> content untranslated
# (https://developers.deepl.com/docs/xml-and-html-handling/xml, "Ignored Tags").
XML_IGNORED = Markup(
    wrap=lambda index, inner: f'<x id="{index}">{xml_escape(inner)}</x>',
    pattern=re.compile(r"<x\b[^>]*?\bid\s*=\s*[\"']?(\d+)[\"']?[^>]*?(?:/>|>.*?</x\s*>)", re.I | re.S),
    escape=xml_escape,
    unescape=html.unescape,
    is_markup=True,
)
# Google, Microsoft, LibreTranslate in HTML mode: translate="no" and class="notranslate"
# (https://learn.microsoft.com/azure/ai-services/translator/prevent-translation).
HTML_NO_TRANSLATE = Markup(
    wrap=lambda index, inner: (
        f'<span translate="no" class="notranslate" id="g{index}">{html.escape(inner)}</span>'
    ),
    pattern=re.compile(r"<span\b[^>]*?\bid\s*=\s*[\"']?g(\d+)[\"']?[^>]*>.*?</span\s*>", re.I | re.S),
    escape=_html_escape,
    unescape=_html_unescape,
    is_markup=True,
)

# Scripts written without spaces between words: a term is found anywhere in the text.
_UNSPACED = ("CJK", "HIRAGANA", "KATAKANA", "HANGUL", "THAI", "LAO", "KHMER", "MYANMAR")
# Arabic writes the article and one-letter conjunctions and prepositions onto the word
# (السلة "the basket", وبالسلة "and in the basket"): they belong to the matched word.
_ARABIC_PROCLITICS = "(?:[وف]?[بكل]?ال|[وف]?لل|[وف]?[بكل]|[وف])?"
_SENTENCE_START = re.compile(r"(?:^|[.!?。！？\n])[\s\"'«“(¡¿]*$")


def _is_unspaced(term: str) -> bool:
    return all(unicodedata.name(char, "").startswith(_UNSPACED) for char in term if char.isalpha())


def _is_arabic(term: str) -> bool:
    return any("ARABIC" in unicodedata.name(char, "") for char in term)


def _term_pattern(surface: str) -> re.Pattern[str]:
    body = re.escape(surface)
    if _is_unspaced(surface):
        return re.compile(body, re.IGNORECASE)
    if _is_arabic(surface):
        return re.compile(rf"(?<!\w){_ARABIC_PROCLITICS}{body}(?!\w)", re.IGNORECASE)
    return re.compile(rf"(?<!\w){body}(?!\w)", re.IGNORECASE)


def _match_case(occurrence: str, term: str, wording: str, *, sentence_start: bool) -> str:
    """Carry the writer's emphasis over to a forced translation."""
    if len(occurrence) > 1 and occurrence.isupper() and not term.isupper():
        return wording.upper()
    # A capital at the start of a sentence says nothing about the word; elsewhere it
    # marks a name the writer wants kept as one.
    if not sentence_start and occurrence[:1].isupper() and not term[:1].isupper():
        return wording[:1].upper() + wording[1:]
    return wording


@dataclass(frozen=True, slots=True)
class _Rule:
    term: GlossaryTerm
    surface: str
    pattern: re.Pattern[str]
    wording: str | None  # None: keep the occurrence as written


def _rules(glossary: Glossary | None, *, source: str | None, target: str) -> list[_Rule]:
    rules: list[_Rule] = []
    for term in glossary.terms if glossary else ():
        wording = None if term.do_not_translate else term.rendering_for(target)
        if not term.do_not_translate and wording is None:
            continue
        surfaces = {unicodedata.normalize("NFC", term.term)}
        if source is not None:
            # The term as the writer's language spells it ("carrito" for "cart").
            source_primary = primary_language(source)
            surfaces |= {
                unicodedata.normalize("NFC", text)
                for tag, text in term.translations.items()
                if primary_language(tag) == source_primary
            }
        for surface in surfaces:
            if surface.strip():
                rules.append(_Rule(term, surface, _term_pattern(surface), wording))
    return rules


@dataclass(frozen=True, slots=True)
class ProtectedBatch:
    """Texts ready for a provider, and how to turn its answers back."""

    texts: list[str]
    replacements: list[list[str]]
    markup: Markup
    uses_markup: bool

    def restore(self, index: int, translated: str) -> str:
        wanted = self.replacements[index]
        if not wanted:
            return self.markup.unescape(translated) if self.uses_markup else translated
        pieces: list[str] = []
        seen: set[int] = set()
        cursor = 0
        for found in self.markup.pattern.finditer(translated):
            pieces.append(self.markup.unescape(translated[cursor : found.start()]))
            slot = int(found.group(1))
            if slot < len(wanted):
                pieces.append(wanted[slot])
                seen.add(slot)
            cursor = found.end()
        pieces.append(self.markup.unescape(translated[cursor:]))
        missing = [wanted[slot] for slot in range(len(wanted)) if slot not in seen]
        if missing:
            raise GlossaryTermLost(f"the provider dropped glossary terms: {', '.join(missing)}")
        return "".join(pieces)


def protect(
    texts: Sequence[str],
    glossary: Glossary | None,
    *,
    source: str | None,
    target: str,
    markup: Markup,
) -> ProtectedBatch:
    rules = _rules(glossary, source=source, target=target)
    spans_per_text = [_find_spans(text, rules) for text in texts]
    uses_markup = markup.is_markup and any(spans_per_text)
    out: list[str] = []
    replacements: list[list[str]] = []
    for text, spans in zip(texts, spans_per_text, strict=True):
        if not spans:
            out.append(markup.escape(text) if uses_markup else text)
            replacements.append([])
            continue
        normalized = unicodedata.normalize("NFC", text)
        pieces: list[str] = []
        wanted: list[str] = []
        cursor = 0
        for start, end, rule in spans:
            pieces.append(markup.escape(normalized[cursor:start]))
            occurrence = normalized[start:end]
            if rule.wording is None:
                final = occurrence
            else:
                at_start = bool(_SENTENCE_START.search(normalized[:start]))
                final = _match_case(occurrence, rule.surface, rule.wording, sentence_start=at_start)
            pieces.append(markup.wrap(len(wanted), final))
            wanted.append(final)
            cursor = end
        pieces.append(markup.escape(normalized[cursor:]))
        out.append("".join(pieces))
        replacements.append(wanted)
    return ProtectedBatch(out, replacements, markup, uses_markup)


def _find_spans(text: str, rules: Sequence[_Rule]) -> list[tuple[int, int, _Rule]]:
    normalized = unicodedata.normalize("NFC", text)
    found = [
        (match.start(), match.end(), rule) for rule in rules for match in rule.pattern.finditer(normalized)
    ]
    # Longest match wins where terms overlap ("gift card" over "card").
    found.sort(key=lambda span: (span[0], -(span[1] - span[0])))
    chosen: list[tuple[int, int, _Rule]] = []
    end_of_last = -1
    for start, end, rule in found:
        if start >= end_of_last:
            chosen.append((start, end, rule))
            end_of_last = end
    return chosen
