"""Choice lists (value, label, dependent value) seeded into `sys_choice` (reference §8, §10, §12).

HR case state numbers are not public; these are the commonly quoted ones (the UNVERIFIED fixture).
"""

from __future__ import annotations

Choice = tuple[str, str, str]  # value, label, dependent_value

_STATE = [("1", "New"), ("2", "In Progress"), ("3", "On Hold"), ("6", "Resolved")]
_STATE += [("7", "Closed"), ("8", "Canceled")]
_LEVELS = [("1", "1 - High"), ("2", "2 - Medium"), ("3", "3 - Low")]
_PRIORITY = [("1", "1 - Critical"), ("2", "2 - High"), ("3", "3 - Moderate")]
_PRIORITY += [("4", "4 - Low"), ("5", "5 - Planning")]
_CATEGORY = [("inquiry", "Inquiry / Help"), ("software", "Software"), ("hardware", "Hardware")]
_CATEGORY += [("network", "Network"), ("database", "Database")]
_SUBCATEGORY = [
    ("antivirus", "Antivirus", "inquiry"),
    ("email", "Email", "inquiry"),
    ("internal application", "Internal Application", "inquiry"),
    ("email", "Email", "software"),
    ("os", "Operating System", "software"),
    ("cpu", "CPU", "hardware"),
    ("disk", "Disk", "hardware"),
    ("keyboard", "Keyboard", "hardware"),
    ("monitor", "Monitor", "hardware"),
    ("mouse", "Mouse", "hardware"),
    ("dhcp", "DHCP", "network"),
    ("dns", "DNS", "network"),
    ("vpn", "VPN", "network"),
    ("wireless", "Wireless", "network"),
    ("db2", "DB2", "database"),
    ("oracle", "Oracle", "database"),
    ("sql server", "MS SQL Server", "database"),
]
_CONTACT = [("email", "Email"), ("phone", "Phone"), ("self-service", "Self-service")]
_CONTACT += [("walk-in", "Walk-in"), ("virtual_agent", "Virtual Agent"), ("chat", "Chat")]
_CLOSE_CODES = [
    "Duplicate",
    "Known error",
    "No resolution provided",
    "Resolved by caller",
    "Resolved by change",
    "Resolved by problem",
    "Resolved by request",
    "Solution provided",
    "Workaround provided",
    "User error",
]
_HOLD = [("1", "Awaiting Caller"), ("3", "Awaiting Problem"), ("4", "Awaiting Vendor")]
_HOLD += [("5", "Awaiting Change")]
_PROBLEM_STATE = [("101", "New"), ("102", "Assess"), ("103", "Root Cause Analysis")]
_PROBLEM_STATE += [("104", "Fix in Progress"), ("106", "Resolved"), ("107", "Closed")]
_HR_STATE = [("1", "Draft"), ("10", "Ready"), ("16", "Awaiting Approval")]
_HR_STATE += [("18", "Awaiting Acceptance"), ("20", "Work in Progress"), ("24", "Suspended")]
_HR_STATE += [("3", "Closed Complete"), ("4", "Closed Incomplete"), ("7", "Cancelled")]
_HR_CONTACT = [("self-service", "Self Service"), ("phone", "Phone"), ("chat", "Chat")]
_HR_CONTACT += [("walk-in", "In Person"), ("email", "Email"), ("virtual_agent", "Virtual Agent")]
_HR_CONTACT += [("other", "Other")]
_FULFILLMENT = [("manual", "Manual"), ("service_activity", "Service Activity")]
_FULFILLMENT += [("workflow", "Workflow"), ("lifecycle_event", "Lifecycle Event")]
_FULFILLMENT += [("flow", "Flow")]


def _plain(pairs: list[tuple[str, str]]) -> list[Choice]:
    return [(value, label, "") for value, label in pairs]


CHOICES: dict[tuple[str, str], list[Choice]] = {
    ("incident", "state"): _plain(_STATE),
    ("incident", "incident_state"): _plain(_STATE),
    ("incident", "urgency"): _plain(_LEVELS),
    ("incident", "impact"): _plain(_LEVELS),
    ("incident", "severity"): _plain(_LEVELS),
    ("incident", "priority"): _plain(_PRIORITY),
    ("incident", "category"): _plain(_CATEGORY),
    ("incident", "subcategory"): _SUBCATEGORY,
    ("incident", "contact_type"): _plain(_CONTACT),
    ("incident", "close_code"): _plain([(code, code) for code in _CLOSE_CODES]),
    ("incident", "hold_reason"): _plain(_HOLD),
    ("incident", "notify"): _plain([("1", "Do Not Notify"), ("2", "Send Email")]),
    ("incident", "escalation"): _plain([("0", "Normal"), ("1", "Moderate"), ("2", "High")]),
    ("incident", "approval"): _plain([("not requested", "Not Yet Requested")]),
    ("problem", "state"): _plain(_PROBLEM_STATE),
    ("problem", "problem_state"): _plain(_PROBLEM_STATE),
    ("problem", "impact"): _plain(_LEVELS),
    ("problem", "urgency"): _plain(_LEVELS),
    ("problem", "priority"): _plain(_PRIORITY),
    ("problem", "category"): _plain(_CATEGORY),
    ("sn_hr_core_case", "state"): _plain(_HR_STATE),
    ("sn_hr_core_case", "priority"): _plain(_PRIORITY),
    ("sn_hr_core_case", "contact_type"): _plain(_HR_CONTACT),
    ("sn_hr_core_service", "fulfillment_type"): _plain(_FULFILLMENT),
}

# Labels in other languages, as an instance with language plugins has them: more `sys_choice`
# rows with their `language`. Seeded for the incident categories the ticket form offers.
TRANSLATED_LABELS: dict[tuple[str, str], dict[str, dict[str, str]]] = {
    ("incident", "category"): {
        "de": {
            "inquiry": "Anfrage / Hilfe",
            "software": "Software",
            "hardware": "Hardware",
            "network": "Netzwerk",
            "database": "Datenbank",
        },
        "fr": {
            "inquiry": "Demande / Aide",
            "software": "Logiciel",
            "hardware": "Matériel",
            "network": "Réseau",
            "database": "Base de données",
        },
        "es": {
            "inquiry": "Consulta / Ayuda",
            "software": "Software",
            "hardware": "Hardware",
            "network": "Red",
            "database": "Base de datos",
        },
        "nl": {
            "inquiry": "Vraag / Hulp",
            "software": "Software",
            "hardware": "Hardware",
            "network": "Netwerk",
            "database": "Database",
        },
        "ja": {
            "inquiry": "問い合わせ / ヘルプ",
            "software": "ソフトウェア",
            "hardware": "ハードウェア",
            "network": "ネットワーク",
            "database": "データベース",
        },
    },
}

HR_CLOSED_STATES = frozenset({"3", "4", "7"})
INCIDENT_INACTIVE_STATES = frozenset({"7", "8"})


def choice_label(table: str, element: str, value: str) -> str:
    """The label of a choice value; the value itself when the list does not know it."""
    for choice_value, label, _ in CHOICES.get((table, element), ()):
        if choice_value == value:
            return label
    return value


def choice_value(table: str, element: str, label: str) -> str | None:
    """The value behind a label (for `sysparm_input_display_value`), or None."""
    for choice_value, choice_label_, _ in CHOICES.get((table, element), ()):
        if choice_label_.lower() == label.lower():
            return choice_value
    return None
