"""Values as ServiceNow sends them → values the bot understands.

Every Table API value is a string (or a `{value, display_value}` pair in `all` mode): this
module picks the part a template's output asks for and turns it into a date, a flag, a number,
plain text from HTML, or the customer-visible comments of a journal field.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

from flows.models import Comment
from flows.templates import OutputField, Template
from servicenow.client import Record

_JOURNAL_HEADER = re.compile(
    r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) - (.+?) \((Additional comments|Work notes)\)\s*$"
)


def map_row(template: Template, row: Record) -> dict[str, Any]:
    """A raw Table API row → {snake_case(OutputName): typed value}."""
    return {
        snake_case(item.output_name): convert(item, row.get(item.field_name, ""))
        for item in template.output_field_mapping
    }


def convert(item: OutputField, raw: Any) -> Any:
    """One field's value, picking the display or stored part and converting its type."""
    text = plain_part(raw, item.part)
    if item.type == "datetime":
        return parse_datetime(text)
    if item.type == "boolean":
        return text.lower() == "true"
    if item.type == "integer":
        return int(text) if text.lstrip("-").isdigit() else None
    if item.type == "journal":
        return [c.model_dump() for c in parse_journal(text)]
    if item.type == "html":
        return html_to_text(text)
    return text


class _TextOnly(HTMLParser):
    """Collects the text of an HTML fragment; block ends become line breaks."""

    BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4"})

    HIDDEN = frozenset({"script", "style"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.hidden += tag in self.HIDDEN
        if tag == "br":
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        self.hidden -= tag in self.HIDDEN and self.hidden > 0
        if tag in self.BLOCKS:
            self.parts.append("\n")


def html_to_text(text: str) -> str:
    """Rich text (HR case descriptions are HTML) as the plain text a chat shows."""
    if "<" not in text and "&" not in text:
        return text
    parser = _TextOnly()
    parser.feed(text)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


def plain_part(raw: Any, part: str) -> str:
    """The display or stored part of a raw value, as text (`all` mode sends both)."""
    if isinstance(raw, dict):
        key = "display_value" if part == "display" else "value"
        raw = raw.get(key, raw.get("value", raw.get("display_value", "")))
    return "" if raw is None else str(raw)


def parse_datetime(text: str) -> datetime | None:
    """`YYYY-MM-DD HH:MM:SS` (UTC in value mode) → an aware datetime; empty → None."""
    if not text:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        return None


# Service mode writes the employee's comments as the integration account, saying who wrote them.
ATTRIBUTION = "Written by {author} through Snowdesk:\n"
_ATTRIBUTED = re.compile(r"^Written by (?P<author>[^\n]+?) through Snowdesk:\n(?P<text>.*)$", re.S)


def attributed_comment(author: str, text: str) -> str:
    """A comment as service mode writes it: its author first."""
    return ATTRIBUTION.format(author=author) + text


def _comment(author: str, created: datetime, body: str) -> Comment:
    """A journal entry; one written through Snowdesk in service mode names its real author."""
    match = _ATTRIBUTED.match(body)
    if match is not None:
        return Comment(author=match["author"], created_at=created, text=match["text"].strip())
    return Comment(author=author, created_at=created, text=body)


def parse_journal(text: str) -> list[Comment]:
    """Customer-visible entries of a rendered journal field, newest first; work notes dropped.

    Headers read `<time> - <author> (Additional comments)`; the time is taken as UTC (the
    integration user's time zone should be UTC, which `snowdesk doctor` reports).
    """
    entries: list[Comment] = []
    header: re.Match[str] | None = None
    lines: list[str] = []
    for line in [*text.splitlines(), "0000-00-00 00:00:00 - end (Work notes)"]:
        match = _JOURNAL_HEADER.match(line)
        if match is None:
            lines.append(line)
            continue
        if header is not None and header.group(3) == "Additional comments":
            created = parse_datetime(header.group(1))
            if created is not None:
                body = "\n".join(lines).strip()
                entries.append(_comment(header.group(2), created, body))
        header, lines = match, []
    return entries


def snake_case(name: str) -> str:
    """`StateValue` → `state_value`, `SysId` → `sys_id`, `already_snake` unchanged."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()
