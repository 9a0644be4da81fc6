"""Text catalogs (babel gettext), Arabic the default and English second.

Message ids in the code are English; ``locales/ar/LC_MESSAGES/messages.po`` holds the Arabic
text every beneficiary reads, ``locales/en`` the English. The ``.po`` files are the source of
truth and are compiled in memory at start-up, so there is no ``.mo`` that can go stale, and a
missing catalog is an error, never a silent fall-back (babel's ``Translations.load`` would fall
back to the raw English ids without a word).

In code:
    _ = ctx.gettext                 # the user's language
    _("Hello {name}").format(name=...)   # never an f-string inside _()
    N_("...")                       # mark a text for extraction, translate later
    Text(N_("... {x}"), x=1)        # a text with parameters, rendered in any language later
"""

from __future__ import annotations

import gettext as _gettext
import io
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot import ROOT

LOCALES_DIR = ROOT / "locales"
DOMAIN = "messages"
DEFAULT_LOCALE = "ar"
SUPPORTED_LOCALES = ("ar", "en")


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it now."""
    return message


def N_plural(singular: str, plural: str) -> tuple[str, str]:
    """Mark a plural pair for extraction (``ngettext`` style)."""
    return singular, plural


class CatalogMissing(RuntimeError):
    pass


@cache
def translations(locale: str) -> _gettext.GNUTranslations:
    """Compile ``locales/<locale>/LC_MESSAGES/messages.po`` in memory; fail loudly if absent."""
    if locale not in SUPPORTED_LOCALES:
        locale = DEFAULT_LOCALE
    po_path = LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po_path.is_file():
        raise CatalogMissing(f"text catalog missing: {po_path}")
    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return _gettext.GNUTranslations(buf)


def normalize_locale(code: str | None) -> str:
    """Map a Telegram ``language_code`` (``ar``, ``ar-SA``, ``en-GB`` …) to a supported locale."""
    if not code:
        return DEFAULT_LOCALE
    base = code.split("-")[0].split("_")[0].lower()
    return base if base in SUPPORTED_LOCALES else DEFAULT_LOCALE


@dataclass(frozen=True)
class Translator:
    locale: str

    def gettext(self, message: str) -> str:
        return translations(self.locale).gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return translations(self.locale).ngettext(singular, plural, n)

    def render(self, text: Text | str) -> str:
        if isinstance(text, Text):
            return text.render(self)
        return self.gettext(text)

    __call__ = gettext


def translator(locale: str | None) -> Translator:
    return Translator(normalize_locale(locale))


@dataclass(frozen=True)
class Text:
    """A translatable text with its parameters, rendered later in the reader's language.

    Domain modules (validation, lifecycle) return these so that they never need to know who
    reads the message. Parameters that are themselves ``Text`` are rendered too.
    """

    msgid: str
    params: dict[str, Any] = field(default_factory=dict)

    def __init__(self, msgid: str, **params: Any) -> None:
        object.__setattr__(self, "msgid", msgid)
        object.__setattr__(self, "params", params)

    def render(self, tr: Translator) -> str:
        params = {k: (v.render(tr) if isinstance(v, Text) else v) for k, v in self.params.items()}
        text = tr.gettext(self.msgid)
        return text.format(**params) if params else text
