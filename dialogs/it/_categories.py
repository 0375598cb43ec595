"""Guess the incident category a problem belongs to ("my laptop won't boot" → hardware).

Only a category the instance offers is ever suggested; no hint, no guess (the user picks).
"""

from __future__ import annotations

from collections.abc import Sequence

from dialogs._text import clean, fold, is_cjk, tokens
from flows.models import Choice

# Base-system category values → word stems users say, in the recogniser's languages.
_HINTS: dict[str, tuple[str, ...]] = {
    "hardware": tuple(
        [
            "laptop",
            "notebook",
            "computer",
            "pc",
            "desktop",
            "monitor",
            "screen",
            "display",
            "keyboard",
            "mouse",
            "printer",
            "dock",
            "headset",
            "webcam",
            "camera",
            "battery",
            "charger",
            "boot",
            "bildschirm",
            "drucker",
            "tastatur",
            "maus",
            "ordinateur",
            "ecran",
            "imprimante",
            "clavier",
            "souris",
            "portatil",
            "pantalla",
            "impresora",
            "teclado",
            "raton",
            "beeldscherm",
            "printer",
            "toetsenbord",
            "muis",
            "パソコン",
            "画面",
            "プリンター",
            "キーボード",
        ]
    ),
    "network": tuple(
        [
            "vpn",
            "wifi",
            "wi-fi",
            "wlan",
            "network",
            "internet",
            "connection",
            "ethernet",
            "proxy",
            "netzwerk",
            "verbindung",
            "reseau",
            "connexion",
            "red",
            "conexion",
            "netwerk",
            "verbinding",
            "ネットワーク",
            "接続",
        ]
    ),
    "software": tuple(
        [
            "outlook",
            "excel",
            "word",
            "teams",
            "office",
            "app",
            "application",
            "software",
            "install",
            "update",
            "crash",
            "licen",
            "browser",
            "chrome",
            "sap",
            "crm",
            "programm",
            "anwendung",
            "logiciel",
            "aplicacion",
            "programa",
            "applicatie",
            "ソフト",
            "アプリ",
        ]
    ),
    "database": tuple(
        ["database", "datenbank", "sql", "oracle", "db2", "base", "de", "donnees", "データベース"]
    ),
}


def suggest_category(text: str, categories: Sequence[Choice]) -> str:
    """The category value the message most likely belongs to, or "" when nothing points to one."""
    said = tokens(fold(clean(text)))
    offered = {choice.value for choice in categories}
    scores = {
        value: sum(1 for word in said for stem in stems if _says(word, stem))
        for value, stems in _HINTS.items()
        if value in offered
    }
    best = max(scores.items(), key=lambda item: item[1], default=("", 0))
    return best[0] if best[1] else ""


def _says(word: str, stem: str) -> bool:
    # CJK runs have no spaces, so a CJK stem may sit anywhere inside one token.
    return stem in word if is_cjk(stem) else word.startswith(stem)
