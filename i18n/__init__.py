"""The employee's language: message catalogues, the language of this turn, dates for people.

Snowdesk speaks English, German, French, Spanish, Dutch and Japanese. Its own words are English
msgids in the code, marked `_("…")` where they are shown (or `N_("…")` where they are declared
and shown later); the translations are gettext catalogues, `i18n/locales/<lang>/LC_MESSAGES/
snowdesk.po`, compiled in memory with Babel when first needed, so no build step makes `.mo`
files. The language of a turn is a context variable set once per turn at the botbuilder seam
(`bot/handler.py`), so card builders keep their signatures and read it implicitly.

This package is a leaf, like `topics`: every layer may import it.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Final

from babel import Locale
from babel.dates import format_datetime, get_datetime_format
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

DOMAIN: Final = "snowdesk"
DEFAULT: Final = "en"
# The languages of the bot, of its catalogues and of the Teams app package.
LANGUAGES: Final = ("en", "de", "fr", "es", "nl", "ja")
LOCALES_DIR: Final = Path(__file__).parent / "locales"
# English keeps the format Snowdesk always had; the others read as their CLDR data says
# ("12. März 2025, 14:05", "2025年3月12日 13:05"): a day with the month's short name, 24 h.
_ENGLISH_PATTERN: Final = "dd MMM yyyy, HH:mm"
_DATE_SKELETON: Final = "yMMMd"
_TIME_SKELETON: Final = "Hm"

_language: ContextVar[str] = ContextVar("snowdesk_language", default=DEFAULT)


def N_(message: str) -> str:  # noqa: N802 - gettext's name for "mark now, translate when shown"
    """Mark a message for the catalogues without translating it (declarations, constants)."""
    return message


def _(message: str) -> str:
    """The message in the language of this turn (English when the catalogue lacks it)."""
    return translations(_language.get()).gettext(message)


def current_language() -> str:
    """The language of this turn: one of `LANGUAGES`."""
    return _language.get()


@contextmanager
def speaking(language: str) -> Iterator[None]:
    """Within the block, messages and dates are in `language` (an unknown one means English)."""
    token = _language.set(language if language in LANGUAGES else DEFAULT)
    try:
        yield
    finally:
        _language.reset(token)


def language_of_locale(locale: str | None) -> str | None:
    """The supported language of a channel locale ("de-DE", "fr_CA", "ja"), else None."""
    if not locale:
        return None
    language = locale.replace("_", "-").split("-", 1)[0].strip().lower()
    return language if language in LANGUAGES else None


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The compiled catalogue of one language (English: the msgids themselves)."""
    path = LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if language == DEFAULT or not path.is_file():
        return gettext.NullTranslations()
    with path.open("rb") as po:
        catalog = read_po(po, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def format_moment(moment: datetime) -> str:
    """A date and time (already in the person's zone) as people of this turn's language write it."""
    language = _language.get()
    return str(format_datetime(moment, _pattern(language), tzinfo=moment.tzinfo, locale=language))


@cache
def _pattern(language: str) -> str:
    """The CLDR date-time pattern of a language: its medium date-time joint around the date and
    time skeletons (Babel 2.9's `format_skeleton` knows no combined date-and-time skeleton)."""
    if language == DEFAULT:
        return _ENGLISH_PATTERN
    skeletons = Locale.parse(language).datetime_skeletons
    joint = str(get_datetime_format("medium", locale=language))
    date, time = skeletons[_DATE_SKELETON].pattern, skeletons[_TIME_SKELETON].pattern
    return joint.replace("{1}", date).replace("{0}", time)
