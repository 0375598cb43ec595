"""Guess the HR service a message is about ("my payslip is wrong" → a payroll service).

Words the user says are mapped to the words HR services are named with, in the languages the
recogniser understands; the service sharing most of them wins. No match, no guess.
"""

from __future__ import annotations

from collections.abc import Sequence

from dialogs._text import clean, fold, is_cjk, tokens
from flows.models import HRService

# Words too common in requests to say which service is meant.
_COMMON_WORDS = "want need have would like please request question change update help"
_COMMON = frozenset(_COMMON_WORDS.split(" "))
# word stems users say → words HR services, topics and centres of excellence are named with
_HINT_TABLE: tuple[tuple[str, str], ...] = (
    (
        "pay salar wage overtime bonus gehalt lohn uberstunden paie salaire nomina sueldo loon "
        "salaris overuren tax withholding steuer 給与 給料",
        "payroll pay salary compensation wage",
    ),
    (
        "leave vacation holiday absence parental maternity paternity sick urlaub elternzeit krank "
        "conge maladie vacaciones baja verlof ziek 休暇 休み",
        "leave absence vacation holiday",
    ),
    (
        "benefit insurance health pension retire dental rente mutuelle retraite seguro jubil "
        "pensioen verzeker 保険 年金",
        "benefits benefit insurance pension health",
    ),
    (
        "verification certificate letter reference bescheinigung zeugnis attestation certificado "
        "verklaring 証明",
        "verification letter certificate employment",
    ),
    (
        "address personal adresse direccion datos adres 住所",
        "personal data details employee information record address",
    ),
    (
        "bank deposit account iban bancaire bancari bankverbindung bankgegevens 口座",
        "deposit bank account direct",
    ),
    ("expense reimburs spesen frais gastos onkosten 経費", "expense reimbursement payroll"),
    (
        "harass complaint workplace conflict bully discriminat beschwerde plainte queja klacht",
        "relations complaint workplace concern conduct",
    ),
    (
        "contract hours vertrag arbeitszeit contrat contrato werkuren",
        "contract employment hours workforce administration",
    ),
)
_HINTS = tuple((tuple(said.split()), tuple(named.split())) for said, named in _HINT_TABLE)


def _concepts(text: str) -> set[str]:
    folded = fold(clean(text))
    said = tokens(folded)
    found: set[str] = set()
    for stems, words in _HINTS:
        if any(_says(word, stem) for word in said for stem in stems):
            found.update(words)
    return found


def _says(word: str, stem: str) -> bool:
    # CJK runs have no spaces, so a CJK stem may sit anywhere inside one token.
    return stem in word if is_cjk(stem) else word.startswith(stem)


def _service_words(service: HRService) -> tuple[set[str], set[str]]:
    name = set(tokens(fold(service.name)))
    rest = f"{service.coe} {service.topic_category} {service.description}".replace("_", " ")
    return name, set(tokens(fold(rest)))


def suggest_service(text: str, services: Sequence[HRService]) -> HRService | None:
    """The service the message is most likely about, or None when nothing points to one."""
    concepts = _concepts(text)
    if not concepts:
        return None
    # The user's own longer words count too: "parental leave" prefers "Parental Leave".
    said = {w for w in tokens(fold(clean(text))) if len(w) > 3 and w not in _COMMON}
    best: tuple[int, HRService] | None = None
    for service in services:
        name, rest = _service_words(service)
        score = 2 * len(concepts & name) + len(concepts & rest) + 3 * len(said & name)
        if score and (best is None or score > best[0]):
            best = (score, service)
    return best[1] if best else None
