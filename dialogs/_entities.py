"""Entity extraction for the recogniser: record numbers, list filter, urgency, comment, description.

Each extractor is given plain text and returns a value only when the user actually said it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from dialogs._text import NOT_OWNERS, Vocabulary, fold, is_cjk

NUMBER_DIGITS = 7
_NOUN_DOMAIN = {
    "ticket": "it",
    "incident": "it",
    "incidente": "it",
    "incidencia": "it",
    "melding": "it",
    "case": "hr",
    "caso": "hr",
    "fall": "hr",
    "dossier": "hr",
    "zaak": "hr",
    "チケット": "it",
    "ケース": "hr",
}
_BARE = re.compile(
    r"(?<![a-z0-9])(?P<noun>" + "|".join(_NOUN_DOMAIN) + r")\s*"
    r"(?:#|no\.?|nr\.?|n°|number|nummer|numero)?\s*(?P<digits>\d{3,7})(?![0-9a-z])"
    # "any news on #48111": a hash and digits alone are a ticket number in a desk chat
    r"|(?<![\w#])#(?P<hash>\d{4,7})(?![0-9a-z])"
)

# Longer phrases first where one contains another ("not urgent" before "urgent").
_FILTERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "closed",
        (
            "closed",
            "resolved",
            "solved",
            "finished",
            "completed",
            "done",
            "old",
            "geschlossen",
            "geschlossenen",
            "geschlossene",
            "erledigt",
            "erledigten",
            "erledigte",
            "geloste",
            "gelosten",
            "ferme",
            "fermes",
            "fermees",
            "clos",
            "resolus",
            "termines",
            "terminees",
            "termine",
            "terminee",
            "abgeschlossen",
            "abgeschlossene",
            "abgeschlossenen",
            "beendet",
            "afgerond",
            "afgeronde",
            "finalizados",
            "completados",
            "cerrado",
            "cerrados",
            "cerradas",
            "resueltos",
            "gesloten",
            "afgesloten",
            "opgeloste",
            "クローズ",
            "完了",
            "解決済み",
            "終了",
        ),
    ),
    (
        "open",
        (
            "open",
            "active",
            "pending",
            "unresolved",
            "outstanding",
            "ongoing",
            "in progress",
            "offen",
            "offene",
            "offenen",
            "laufenden",
            "ouvert",
            "ouverts",
            "ouvertes",
            "en cours",
            "abierto",
            "abiertos",
            "abiertas",
            "pendientes",
            "openstaande",
            "lopende",
            "未解決",
            "オープン",
            "対応中",
            "進行中",
        ),
    ),
    (
        "all",
        (
            "all",
            "every",
            "alle",
            "aller",
            "allen",
            "everything",
            "al mijn",
            "al m'n",
            "tous",
            "toutes",
            "todos",
            "todas",
            "すべて",
            "全て",
            "全部",
        ),
    ),
)
_URGENCIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "low",
        (
            "not urgent",
            "no rush",
            "no hurry",
            "low priority",
            "low urgency",
            "whenever you can",
            "whenever you get a chance",
            "whenever possible",
            "whenever convenient",
            "nicht dringend",
            "keine eile",
            "niedrige prioritat",
            "pas urgent",
            "pas presse",
            "priorite basse",
            "basse priorite",
            "no es urgente",
            "no urgente",
            "sin prisa",
            "baja prioridad",
            "prioridad baja",
            "niet dringend",
            "niet urgent",
            "geen haast",
            "lage prioriteit",
            "急ぎません",
            "急ぎではない",
            "優先度低",
            "優先度は低",
        ),
    ),
    (
        "medium",
        (
            "medium priority",
            "normal priority",
            "medium urgency",
            "moderate",
            "mittlere prioritat",
            "priorite moyenne",
            "prioridad media",
            "gemiddelde prioriteit",
            "優先度中",
            "優先度は中",
        ),
    ),
    (
        "high",
        (
            "urgent",
            "urgently",
            "asap",
            "as soon as possible",
            "emergency",
            "critical",
            "high priority",
            "top priority",
            "immediately",
            "blocking issue",
            "blocker",
            "blocking me",
            "blocking us",
            "blocking my work",
            "im blocked",
            "completely blocked",
            "totally blocked",
            "team is blocked",
            "we are blocked",
            "blocker",
            "right away",
            "high urgency",
            "dringend",
            "eilig",
            "sofort",
            "hohe prioritat",
            "au plus vite",
            "priorite haute",
            "critique",
            "urgente",
            "lo antes posible",
            "alta prioridad",
            "prioridad alta",
            "spoed",
            "zo snel mogelijk",
            "hoge prioriteit",
            "至急",
            "緊急",
            "急ぎ",
            "優先度高",
        ),
    ),
)

# "including the closed ones", "closed ones too", "what I've ever logged": every state.
_EVERYTHING = re.compile(
    r"\b(?:including|incl|even|also|plus|and|with)\s+(?:the\s+)?(?:closed|resolved|old|finished)\b"
    r"|\b(?:closed|resolved|old|finished)(?:\s+ones)?\s+(?:too|as well|included)\b"
    r"|\b(?:ever|history)\b"
    r"|\beverything\s+(?:i(?:ve|\s+have)?|that\s+i(?:ve)?)\s+(?:ever\s+)?(?:opened|raised|submitted|filed)\b"
)
# Words that name a thing, not how urgent it is: "my emergency contact details".
_NOT_URGENCY = re.compile(
    r"\bemergency\s+(?:contacts?|numbers?|details|leave|(?:tax\s+)?codes?|tax)\b"
    r"|\b(?:family|medical|personal)\s+emergency\b"
)
# "isn't that urgent anymore", "no longer urgent": the urgency goes down, not up.
_NO_LONGER_URGENT = re.compile(
    r"\b(?:isnt|is not|not|no longer|nicht mehr|plus|ya no|niet meer)\s+(?:that\s+|so\s+|very\s+)?"
    r"(?:urgent|dringend|urgente)\b"
)
_MEDIUM_WORD = re.compile(
    r"\b(?:normal|medium|moderate|mittel|normale|moyenne|media|normaal|gemiddeld)\b"
)
# "set it to normal", "make it low", "bump it to high".
_SET_TO = re.compile(
    r"\b(?:set|make|change|put|bump|move|lower|raise|drop|downgrade|upgrade|escalate)\s+"
    r"(?:it|this|that|inc\d+|#?\d{4,7}|(?:the|my)\s+(?:[\w-]+\s+)?(?:ticket|case|incident|request))"
    r"\s+(?:down\s+|up\s+)?(?:to\s+)?(?P<level>normal|medium|low|high|critical)\b"
)
# "lower the priority on my request", "auf hoch setzen", "raise the urgency": a direction alone.
_PRIORITY_DOWN = re.compile(
    r"\b(?:lower|reduce|decrease|drop|downgrade)\s+(?:the\s+|its\s+)?(?:priority|urgency)\b"
    r"|\bauf\s+(?:niedrig|low)\s+(?:setzen|stellen)"
)
_PRIORITY_UP = re.compile(
    r"\b(?:raise|increase|escalate|bump\s+up|up)\s+(?:the\s+|its\s+)?(?:priority|urgency)\b"
    r"|\bauf\s+(?:hoch|high|dringend)\s+(?:setzen|stellen)"
)
# "it's blocking the whole team", "stopping the entire ward from working".
_WHOLE_BLOCKED = re.compile(
    r"\b(?:blocking|blocks|stopping|affecting|affects)\s+(?:the\s+)?(?:whole|entire|all\s+of\s+the)\s+\w+"
    r"|\b(?:whole|entire)\s+(?:team|department|office|floor|ward|shop|store|branch|site|line|plant)"
    r"\s+(?:is\s+|are\s+)?(?:blocked|down|offline|stuck|cant|can't|cannot)"
)
_FILTER_WORDS = tuple((name, Vocabulary(words)) for name, words in _FILTERS)
_URGENCY_WORDS = tuple((name, Vocabulary(words)) for name, words in _URGENCIES)
# "change the urgency of my ticket to low", "prioridad a alta", "緊急度を高に".
_LEVEL = re.compile(
    r"(?:urgency|priority|dringlichkeit|prioritat|urgence|priorite|urgencia|prioridad|urgentie|"
    r"prioriteit)\b(?:\s+\S+){0,6}?\s+(?:to|auf|sur|en|a|naar|op)\s+(?P<level>\w+)"
    r"|(?:緊急度|優先度)を?(?P<cjk>[高中低])"
)
_LEVELS = {
    "high": "high",
    "hoch": "high",
    "haute": "high",
    "alta": "high",
    "hoog": "high",
    "medium": "medium",
    "mittel": "medium",
    "moyenne": "medium",
    "media": "medium",
    "gemiddeld": "medium",
    "low": "low",
    "niedrig": "low",
    "basse": "low",
    "baja": "low",
    "laag": "low",
    "normal": "medium",
    "normale": "medium",
    "normaal": "medium",
    "critical": "high",
    "高": "high",
    "中": "medium",
    "低": "low",
}
# Straight single quotes count only around words, never as an apostrophe ("c'est", "n'ai").
_QUOTED = re.compile(
    r"[\"“”«»「『]\s*(?P<body>[^\"“”«»「」『』]{2,}?)\s*[\"“”«»」』]"
    r"|(?<!\w)'(?P<single>[^']{2,}?)'(?!\w)"
)
# A colon followed by a space, or by non-ASCII text ("追加：まだ直っていません").
_AFTER_COLON = re.compile(r"(?::\s+|:(?=[^\x00-\x7f]))(?P<body>\S.*)$")
_ADD_THAT = re.compile(
    r"\b(?:add|write|note|tell|let|say|mention|inform|pass\s+on|pass\s+along|relay)\b[^:]*?"
    r"\bthat\s+(?P<body>\S.*)$",
    re.IGNORECASE,
)
_AFTER_SAYING = re.compile(
    r"\b(?:saying|that says|to say|with the note|with the comment|let them know|tell them|"
    r"mit dem kommentar|mit der notiz|avec le commentaire|avec la note|diciendo|"
    r"con el comentario|con la nota|met de opmerking|met de notitie)\s*(?:that\s+|dass\s+|"
    r"que\s+|dat\s+)?(?P<body>\S.*)$",
    re.IGNORECASE,
)

# "tell HR I've uploaded it", "let the tech know my number changed", "tell whoever has my
# headset ticket that …": the message to pass on follows the person it is for.
_TELL = re.compile(
    r"\b(?:tell|inform|let|message|ask)\s+(?P<who>hr|it|support|the\s+(?:hr\s+|it\s+)?(?:tech|technician|"
    r"engineer|helpdesk|help\s+desk|service\s+desk|agent|team|person|guy)|whoever\b.*?"
    r"\b(?:ticket|case|incident|request))\s+(?:know\s+)?(?:that\s+)?(?P<body>\S.*)$",
    re.IGNORECASE,
)
# "to my printer ticket", "on the case": the record a comment goes on (up to two words between).
_TO_RECORD = r"(?:to|on|in|onto)\s+(?:my|the)\s+(?:[\w-]+\s+){0,2}?(?:ticket|case|incident|request)"
# "pls note on my ticket I'm out Friday", "comment on my Teams ticket that …", "add more info to
# my printer ticket — …": the record, then the comment.
_ON_MY_RECORD = re.compile(
    r"\b(?:note|add|put|write|mention|comment|reply|respond)\b(?:\s+[\w-]+){0,3}?\s+"
    + _TO_RECORD
    + r"\b\s*(?:that\s+|[:—–-]+\s*)?(?P<body>\S.*)$",
    re.IGNORECASE,
)
# The same in the other languages: "Ajoute à mon ticket que …", "Bitte füge meinem Ticket hinzu,
# dass …", "Añade a mi ticket que …", "Zet bij mijn ticket dat …".
_ON_MY_RECORD_ABROAD = re.compile(
    r"\b(?:ajoute[sz]?|mets|mettez|[ée]cris|[ée]crivez|note[sz]?|indique[sz]?)\s+(?:à|a|dans|sur)\s+"
    r"(?:mon|ma|le|la)\s+(?:[\w-]+\s+){0,2}?(?:ticket|dossier|demande|cas)\b.*?\s+"
    r"(?:que\s+|qu['’])(?P<fr>\S.*)$"
    r"|\b(?:añade|anade|agrega|pon|escribe|anota|comenta)\s+(?:a|en)\s+(?:mi|el|la)\s+"
    r"(?:[\w-]+\s+){0,2}?(?:ticket|caso|solicitud|incidencia)\b.*?\s+que\s+(?P<es>\S.*)$"
    r"|\b(?:füge|fuge|schreib|schreibe|trag|trage|ergänze|erganze)\b.*?"
    r"\b(?:ticket|fall|hr-fall|anfrage|meldung)\b.*?,?\s*dass\s+(?P<body>\S.*)$"
    r"|\b(?:zet|voeg|schrijf)\b.*?\b(?:ticket|case|zaak|melding|aanvraag)\b.*?\s+dat\s+(?P<nl>\S.*)$",
    re.IGNORECASE,
)
# What is left when a pattern caught only manners: "add this to my ticket please".
_ONLY_MANNERS = re.compile(r"^(?:please|pls|plz|thanks?|thx|ty|asap|now|too)?[\s.!?]*$", re.I)
# "i sent the form, can you add that to my case": the comment comes first.
_BEFORE_ADD_THAT = re.compile(
    r"^(?P<body>\S.*?)[\s,;.!-]*(?:\b(?:so\s+)?(?:please|pls|plz|can\s+you|could\s+you|can\s+u|"
    r"could\s+u|would\s+you)\s+)?\b(?:add|put|note|pass|attach)\s+(?:that|this|it)\s+(?:on\s+)?"
    + _TO_RECORD
    + r"\b",
    re.IGNORECASE,
)
# "add that the code is 0x5 to my ticket": the record named at the end is not the comment.
_TO_MY_RECORD = re.compile(
    r"\s+" + _TO_RECORD + r"\s*(?:please|pls|plz)?[\s.!?]*$",
    re.IGNORECASE,
)
# Telling the technician or HR in the other languages: "Sag dem Techniker, dass …",
# "Dis aux RH que …", "Dile al técnico que …", "Laat HR weten dat …", "人事に…と伝えてください".
_TELL_ABROAD = re.compile(
    r"\b(?:sag|sage|sagen\s+sie|richte|richten\s+sie)\s+(?:bitte\s+)?(?:dem|der|den|die)\s+[\w-]+"
    r"(?:\s+aus)?,?\s+(?:bitte\s+)?(?:,\s*)?dass\s+(?P<body>\S.*)$"
    r"|\b(?:dis|dites|pouvez-vous\s+dire|peux-tu\s+dire)\s+(?:au|aux|à\s+la|a\s+la|à\s+l['’]|a\s+l['’])"
    r"\s*[\w-]+\s+(?:que\s+|qu['’])(?P<fr>\S.*)$"
    r"|\b(?:dile|diles|dígale|digale|díganle|diganle|decidle)\s+(?:al|a\s+la|a\s+los|a\s+las|a)\s+"
    r"[\w-]+\s+que\s+(?P<es>\S.*)$"
    r"|\blaat\s+(?:de\s+|het\s+|mijn\s+)?[\w-]+\s+weten\s+dat\s+(?P<nl>\S.*)$"
    r"|^.*?(?:担当者|技術者|サポート|人事|HR|IT|ヘルプデスク)(?:の方)?に(?:、)?(?P<ja>.+?)(?:と|って)"
    r"(?:伝えて|連絡して|言って|お伝え)",
    re.IGNORECASE,
)
# A closing thank-you is manners, not part of the comment.
_THANKS_TAIL = re.compile(
    r"[\s,;.!-]*\b(?:many\s+)?(?:thanks?(?:\s+(?:you|a\s+lot|so\s+much))?|thx|ty|cheers|merci|"
    r"danke|gracias|bedankt)[\s!.]*$",
    re.IGNORECASE,
)

# Where a comment is found, most explicit first.
_COMMENT_PATTERNS = (
    _QUOTED,
    _AFTER_COLON,
    _TELL_ABROAD,
    _AFTER_SAYING,
    _BEFORE_ADD_THAT,
    _ADD_THAT,
    _ON_MY_RECORD,
    _ON_MY_RECORD_ABROAD,
    _TELL,
)

# "Lisa's ticket", "my direct reports' cases", "Omar's HR case": a record named as someone
# else's (not "it's", "what's", "today's"), with at most two words between, none of them "my".
_THEIR_RECORD = re.compile(
    rf"\b(?!(?:{NOT_OWNERS})['’]s\b)\w+(?:['’]s|s['’])\s+"
    r"(?:(?!(?:my|your)\b)[\w-]+\s+){0,2}?(?:tickets?|cases?|incidents?|requests?)\b",
    re.IGNORECASE,
)


def _words(text: str) -> list[str]:
    """Folded words, written as one string so the lists stay readable."""
    return text.split()


# A capitalised name after "for"/"to" (or their translations): the record is that person's.
_FOR_SOMEONE = re.compile(
    r"\b(?:for|to|à|aan|an|für|fur|voor|para)\s+(?P<name>[A-ZÀ-Ý][a-zà-ÿ]{2,})\b(?!['’])"
)
# "los tickets de Carlos", "de tickets van Pieter", "die Tickets von Anna".
_RECORD_OF = re.compile(
    r"\b(?:tickets?|cases?|casos?|dossiers?|incidents?|incidencias?|solicitudes|meldingen|zaken|"
    r"anfragen|demandes)\s+(?:de|del|van|von|of|du)\s+[A-ZÀ-Ý][a-zà-ÿ]{2,}\b"
)
# Capitalised words after "for"/"to" that are days, months, products or teams, not people.
_NOT_PEOPLE = frozenset(
    _words(
        "monday tuesday wednesday thursday friday saturday sunday january february march april "
        "may june july august september october november december teams outlook excel word "
        "windows zoom chrome citrix okta slack jira salesforce workday google onedrive "
        "sharepoint powerpoint office adobe linux apple android iphone ipad mac macos "
        "montag dienstag mittwoch donnerstag freitag lundi mardi mercredi jeudi vendredi lunes "
        "martes miercoles jueves viernes maandag dinsdag woensdag donderdag vrijdag high low "
        "medium normal urgent finance payroll facilities legal security procurement accounting "
        "marketing sales support management operations engineering benefits recruiting"
    )
)


_TICKET_NOUNS = frozenset(
    _words(
        "ticket tickets case cases incident request fall anfrage meldung demande dossier cas "
        "caso incidencia solicitud melding verzoek aanvraag zaak "
    )
)
_GENERIC = _TICKET_NOUNS | frozenset(
    _words(
        "hi hello hey please pls plz i i'd id im i'm want would like need to can could you u "
        "open create raise log file submit make start new a an the me help for it hr my "
        "support helpdesk service desk about regarding re because concerning on with some "
        "question issue problem have got there is einen ein eine neues neuen ich mochte bitte "
        "brauche will erstellen offnen anlegen aufmachen wegen zu uber fur mit je veux "
        "voudrais besoin de d un une creer ouvrir pour concernant sur nouveau nouvelle quiero "
        "necesito crear abrir para sobre por con nuevo nueva ik wil graag nodig aanmaken "
        "openen over voor omdat met nieuw nieuwe een het maak aan report le la el los las les "
        "du des del ticketje personalabteilung rh rrhh personeelszaken "
        # asking the bot to do it, and how urgent, before the ticket noun
        "tu peux pouvez vous pourrais est ce que kannst konntest du mir konnen sie bitte abre crea "
        "abreme creame puedes podrias kun je kunt wil urgent urgente critical high low priority "
        "non quick p1 top dringend dringendes not but no rush "
        # who is asked: "can someone from HR open a case", "I need to talk to HR"
        "someone somebody anyone from talk speak contact reach "
    )
)
_CONNECTORS = frozenset(
    _words(
        "please pls plz bitte svp about regarding re because concerning on for with wegen zu "
        "uber fur mit pour concernant sur para sobre por con over voor omdat met erstellen "
        "offnen anlegen aufmachen aan "
    )
)
_LATE_CONNECTORS = frozenset(
    # "for me - X": the person it is for ends the lead-in too
    _words("about regarding concerning re sobre concernant uber wegen over me")
)
# "need to request leave": after "to" (or "zu") a ticket noun is a verb, not the ticket.
_INFINITIVE = frozenset(("to", "zu"))
_CJK_GENERIC = (
    "チケット",
    "ケース",
    "人事",
    "作成",
    "起票",
    "したい",
    "してください",
    "お願い",
    "します",
    "を",
    "の",
    "に",
    "が",
    "は",
    "新しい",
    "申請",
    "問い合わせ",
)
# A verb left at the end once the lead-in is gone: "ein Ticket für eine neue Maus anlegen".
_TRAILING_VERBS = frozenset(_words("anlegen erstellen aufmachen offnen eroffnen machen"))
# "新しいモニターのチケットを作成してください": what the ticket is for comes before "のチケット".
_CJK_LEAD_IN = re.compile(
    r"^(?P<what>.+?)(?:ので|から|の|について|に関する)(?:チケット|ケース)(?:を|の)?"
    r"(?:作成|起票|作って|作る|切って|発行|登録|開いて|オープン)"
)
# "チケット作成：X", "HRケース作成: X": a label, then what the record is for.
_CJK_LABELLED = re.compile(
    r"^(?:人事|HR|IT)?\s*(?:チケット|ケース|問い合わせ)(?:の)?(?:作成|起票|登録|新規)(?:依頼)?\s*[:：]\s*(?P<what>\S.*)$",
    re.IGNORECASE,
)
_WORD_SPAN = re.compile(r"[\w'’]+")


@dataclass(frozen=True)
class NumberMatch:
    """A record number found in folded text: where it is, its normal form and its domain."""

    start: int
    end: int
    value: str
    domain: str


class NumberFinder:
    """Finds ServiceNow record numbers ("inc 10023" → INC0010023) for the configured prefixes."""

    def __init__(self, ticket_prefixes: Sequence[str], hr_prefixes: Sequence[str]) -> None:
        self._domains = {p.lower(): "it" for p in ticket_prefixes}
        self._domains |= {p.lower(): "hr" for p in hr_prefixes}
        self._single = {
            "it": ticket_prefixes[0].upper() if len(ticket_prefixes) == 1 else "",
            "hr": hr_prefixes[0].upper() if len(hr_prefixes) == 1 else "",
        }
        alternatives = "|".join(sorted(map(re.escape, self._domains), key=len, reverse=True))
        self._prefixed = re.compile(
            r"(?<![a-z0-9])(?P<prefix>" + alternatives + r")[\s#:\-_.]*(?P<digits>\d+)(?![0-9a-z])"
        )

    def find(self, folded: str) -> list[NumberMatch]:
        """Every number-looking span; `value` is empty when the digits are too many to be sure."""
        found = [self._prefixed_match(m) for m in self._prefixed.finditer(folded)]
        taken = [(m.start, m.end) for m in found]
        for match in _BARE.finditer(folded):
            if any(start < match.end() and match.start() < end for start, end in taken):
                continue
            domain = _NOUN_DOMAIN[match["noun"]] if match["noun"] else "it"
            group = "digits" if match["digits"] else "hash"
            prefix = self._single[domain]
            if prefix:
                value = prefix + match[group].zfill(NUMBER_DIGITS)
                found.append(NumberMatch(match.start(group), match.end(), value, domain))
        return sorted(found, key=lambda m: m.start)

    def _prefixed_match(self, match: re.Match[str]) -> NumberMatch:
        digits = match["digits"]
        value = match["prefix"].upper() + digits.zfill(NUMBER_DIGITS)
        if len(digits) > NUMBER_DIGITS:
            value = ""
        return NumberMatch(match.start(), match.end(), value, self._domains[match["prefix"]])


def unique_number(matches: Sequence[NumberMatch]) -> NumberMatch | None:
    """The one number the user meant, or None when there is none or several different ones."""
    values = {m.value for m in matches}
    if len(values) != 1 or "" in values:
        return None
    return matches[0]


def names_someone_elses_record(text: str) -> bool:
    """True when the message is about another person's ticket or case ("add to Lisa's ticket",
    "show INC0010023 for Paul", "did HR reply to Omar?", "los tickets de Carlos")."""
    if _THEIR_RECORD.search(text) or _RECORD_OF.search(text):
        return True
    return any(m["name"].casefold() not in _NOT_PEOPLE for m in _FOR_SOMEONE.finditer(text))


def find_filter(folded: str) -> str | None:
    """`open`, `closed` or `all` when the user said so; both open and closed means all."""
    if _EVERYTHING.search(folded):
        return "all"
    said = [name for name, words in _FILTER_WORDS if words.found_in(folded)]
    if "open" in said and "closed" in said:
        return "all"
    return said[0] if said else None


def find_urgency(folded: str) -> str | None:
    """`high`, `medium` or `low` when the user said it ("not urgent" is low, not high)."""
    folded = _NOT_URGENCY.sub(" ", folded)
    set_to = _SET_TO.search(folded)
    if set_to:
        return _LEVELS[set_to["level"]]
    if _NO_LONGER_URGENT.search(folded):
        return "medium" if _MEDIUM_WORD.search(folded) else "low"
    if _PRIORITY_DOWN.search(folded):
        return "low"
    if _PRIORITY_UP.search(folded):
        return "high"
    level = _LEVEL.search(folded)
    if level and _LEVELS.get(level["level"] or level["cjk"]):
        return _LEVELS[level["level"] or level["cjk"]]
    for name, words in _URGENCY_WORDS:
        if words.found_in(folded):
            return name
    if _WHOLE_BLOCKED.search(folded):
        return "high"
    return None


def find_comment(text: str) -> str | None:
    """The text to add to a record: quoted, after a colon, or after "saying"/"tell them"."""
    for pattern in _COMMENT_PATTERNS:
        match = pattern.search(text)
        if match:
            groups = match.groupdict()
            found = next(
                (groups[g] for g in ("single", "fr", "es", "nl", "ja") if groups.get(g)), ""
            )
            body = (found or match["body"]).strip(' "“”«»「」')
            body = _TO_MY_RECORD.sub("", body) or body
            body = _THANKS_TAIL.sub("", body) or body
            if body.endswith(".") and not body.endswith(".."):
                body = body[:-1]
            if body and not _ONLY_MANNERS.match(body):
                return body
    return None


def find_description(text: str) -> str | None:
    """What a create topic can pre-fill: the message minus a leading "open a ticket about".

    None when nothing but request words remain ("I'd like to open a ticket").
    """
    if any(is_cjk(ch) for ch in text):
        return _cjk_description(text)
    words = list(_WORD_SPAN.finditer(text))
    cut = _lead_in_end(words)
    rest = text[cut:].strip(" \t:-–—,.;!?")
    last = list(_WORD_SPAN.finditer(rest))
    if cut and len(last) > 1 and fold(last[-1].group()) in _TRAILING_VERBS:
        rest = rest[: last[-1].start()].rstrip(" ,")
    rest_words = [fold(w.group()) for w in _WORD_SPAN.finditer(rest)]
    if not any(_is_content(word) for word in rest_words):
        return None
    return rest


def _lead_in_end(words: Sequence[re.Match[str]]) -> int:
    """End of "<request words> <ticket noun> <connector>" at the start, or 0 when absent."""
    noun_at = -1
    for index, word in enumerate(words):
        folded = fold(word.group())
        if folded not in _GENERIC:
            break
        if folded in _TICKET_NOUNS and (
            index == 0 or fold(words[index - 1].group()) not in _INFINITIVE
        ):
            noun_at = index
    if noun_at < 0:
        return 0
    end = noun_at + 1
    while end < len(words) and fold(words[end].group()) in _CONNECTORS:
        end += 1
    # "a case with HR about X", "an HR case, low priority, about X", "un caso de RRHH sobre X":
    # request words up to a last connector ("about", "sobre") still belong to the lead-in.
    scan = end
    while scan < len(words) and fold(words[scan].group()) in _GENERIC:
        scan += 1
        if fold(words[scan - 1].group()) in _LATE_CONNECTORS:
            end = scan
    return words[end - 1].end()


def _is_content(word: str) -> bool:
    return word not in _GENERIC and not word.isdigit()


def _cjk_description(text: str) -> str | None:
    labelled = _CJK_LABELLED.match(text.strip())
    if labelled and len(labelled["what"].strip()) >= 2:
        return labelled["what"].strip()
    lead_in = _CJK_LEAD_IN.match(text.strip())
    if lead_in and len(lead_in["what"].strip(" 、")) >= 2:
        return lead_in["what"].strip(" 、")
    rest = fold(text)
    for generic in _CJK_GENERIC:
        rest = rest.replace(generic, "")
    meaningful = [ch for ch in rest if ch.isalnum()]
    if len(meaningful) < 2:
        return None
    # A question keeps its question mark: the description is the message as written.
    return text.strip(" \t。、")
