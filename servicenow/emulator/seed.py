"""Seed data: metadata for every instance, and the deterministic demo company (`--seed demo`).

Same seed, same rows: sys_ids come from names, times from a fixed start, randomness from a
seeded generator, so tests can rely on numbers, states and owners.
"""

from __future__ import annotations

import hashlib
import random
import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta

from servicenow.emulator import records
from servicenow.emulator.acl import Actor
from servicenow.emulator.choices import CHOICES, TRANSLATED_LABELS
from servicenow.emulator.demo_work import seed_catalogue, seed_work
from servicenow.emulator.schema import HR_COES, STORAGE_TABLES, TABLES

DEMO_PASSWORD = "Demo!2026"
# The sys_id of `admin` on every stock instance; clients' own tests look it up by it.
STOCK_ADMIN_ID = "6816f79cc0a8016401c5a33be04be441"
PROBLEMS = (
    ("Email server intermittently rejects large attachments", "101", "2", "2", "software"),
    ("VPN concentrator drops sessions after 60 minutes", "103", "1", "2", "network"),
    ("Laptop docking stations lose external monitors", "106", "3", "3", "hardware"),
)
START = datetime(2026, 1, 5, 9, 0, 0)
SYSTEM = Actor(sys_id="", user_name="system", name="System", roles=frozenset({"admin"}))
DEPARTMENTS = ("Sales", "Finance", "Human Resources", "IT", "Engineering", "Marketing", "Legal")
_FIRST = [
    "Aileen",
    "Alene",
    "Alfonso",
    "Allan",
    "Alva",
    "Amos",
    "Angelo",
    "Annie",
    "Antony",
    "Bertie",
    "Bud",
    "Candice",
    "Carol",
    "Charlie",
    "Chester",
    "Christen",
    "Cruz",
    "Darrel",
    "Dionne",
    "Earlene",
    "Elisa",
    "Fran",
    "Gayle",
    "Genevieve",
    "Hugo",
    "Isabel",
    "Jimmie",
    "Kasey",
    "Lacy",
    "Lucius",
    "Marcelo",
    "Mayme",
    "Nelly",
    "Octavio",
    "Rosalind",
    "Sofia",
    "Tammie",
]
_LAST = [
    "Mottern",
    "Brodigan",
    "Fitzgerald",
    "Schulze",
    "Carrasco",
    "Bruscino",
    "Knapp",
    "Pereira",
    "Guay",
    "Ross",
    "Chesnut",
    "Martinez",
    "Maclin",
    "Lindqvist",
    "Karpinski",
    "Harris",
    "Beauchamp",
    "Zastrow",
    "Leffel",
    "Vandergriff",
    "Vaca",
    "Hoyle",
    "Neher",
    "Ortiz",
    "Quintal",
    "Ruhl",
    "Settle",
    "Tso",
    "Upchurch",
    "Velez",
    "Wicklund",
    "Yeager",
    "Zerbe",
    "Ashworth",
    "Bixby",
    "Cundiff",
    "Dorr",
]


def sys_id_for(key: str) -> str:
    """A deterministic sys_id."""
    return hashlib.md5(key.encode(), usedforsecurity=False).hexdigest()


def _ids(prefix: str) -> Iterator[str]:
    count = 0
    while True:
        count += 1
        yield sys_id_for(f"{prefix}:{count}")


class Seeder:
    """Inserts rows through the same code paths as the Table API, at fixed times."""

    def __init__(self, conn: sqlite3.Connection, seed: str) -> None:
        self.conn = conn
        self.rng = random.Random(seed)
        self.clock = START
        self._id_stream = _ids(seed)

    def tick(self, minutes: int = 7) -> str:
        """Advance the seed clock and return it formatted."""
        self.clock += timedelta(minutes=minutes)
        return records.format_time(self.clock)

    def add(self, table: str, key: str, **values: str) -> str:
        """Insert one row as the system with a sys_id derived from `key`; returns the sys_id."""
        return self.add_as(SYSTEM, table, key, values)

    def add_as(self, actor: Actor, table: str, key: str, values: dict[str, str]) -> str:
        """Insert one row as `actor`; returns the sys_id."""
        values.setdefault("sys_id", sys_id_for(f"{table}:{key}"))
        row = records.insert(
            self.conn, TABLES[table], values, actor, self.tick(), lambda: next(self._id_stream)
        )
        return row["sys_id"]

    def touch(
        self, table: str, sys_id: str, actor: Actor, values: dict[str, str], minutes: int = 90
    ) -> None:
        """Update a row later in time as `actor` (journal entries, state changes)."""
        row = records.get_row(self.conn, TABLES[table], sys_id)
        assert row is not None
        records.update(
            self.conn,
            TABLES[table],
            row,
            values,
            actor,
            self.tick(minutes),
            lambda: next(self._id_stream),
        )


def seed_metadata(conn: sqlite3.Connection, admin_password: str) -> Actor:
    """Choices, dictionary and the admin user (every seed has them); returns the admin."""
    seeder = Seeder(conn, "metadata")
    for (table, element), choices in CHOICES.items():
        for sequence, (value, label, dependent) in enumerate(choices, start=1):
            key = f"{table}.{element}.{value}.{dependent}"
            seeder.add(
                "sys_choice",
                key,
                name=table,
                element=element,
                language="en",
                value=value,
                label=label,
                sequence=str(sequence),
                inactive="false",
                dependent_value=dependent,
            )
    for (table, element), languages in TRANSLATED_LABELS.items():
        order = {value: n for n, (value, _l, _d) in enumerate(CHOICES[(table, element)], start=1)}
        for language, labels in languages.items():
            for value, label in labels.items():
                seeder.add(
                    "sys_choice",
                    f"{table}.{element}.{value}.{language}",
                    name=table,
                    element=element,
                    language=language,
                    value=value,
                    label=label,
                    sequence=str(order[value]),
                    inactive="false",
                    dependent_value="",
                )
    for table_def in STORAGE_TABLES:
        for field in table_def.fields.values():
            seeder.add(
                "sys_dictionary",
                f"{table_def.name}.{field.name}",
                name=table_def.name,
                element=field.name,
                internal_type=field.type.value,
                column_label=field.column_label,
                reference=field.reference,
                max_length="40" if field.type.value == "choice" else "4000",
                mandatory="false",
                read_only="true" if field.name.startswith("sys_") else "false",
                active="true",
            )
    admin_id = seeder.add(
        "sys_user",
        "admin",
        sys_id=STOCK_ADMIN_ID,
        user_name="admin",
        first_name="System",
        last_name="Administrator",
        email="admin@example.com",
        roles="admin",
        time_zone="UTC",
        user_password=admin_password,
    )
    return Actor(admin_id, "admin", "System Administrator", frozenset({"admin"}))


def ensure_admin_password(conn: sqlite3.Connection, password: str) -> None:
    """The admin password of this run (a reused database file gets the new one)."""
    found = conn.execute("SELECT sys_id FROM sys_user WHERE user_name = 'admin'").fetchone()
    if found:
        records.set_password(conn, found[0], password)


def is_seeded(conn: sqlite3.Connection) -> bool:
    """The database already holds an instance."""
    return conn.execute("SELECT 1 FROM sys_user LIMIT 1").fetchone() is not None


class DemoCompany(Seeder):
    """A believable company: departments, people, groups, HR catalogue, tickets and cases."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        super().__init__(conn, "demo")
        self.users: dict[str, Actor] = {}
        self.departments: dict[str, str] = {}
        self.groups: dict[str, str] = {}
        self.services: dict[str, str] = {}

    def build(self) -> None:
        """Seed everything, in dependency order."""
        for name in DEPARTMENTS:
            self.departments[name] = self.add("cmn_department", name, name=name, id=name[:3])
        self._people()
        self._groups()
        seed_catalogue(self)
        seed_work(self)
        self._problems()

    def _problems(self) -> None:
        agent = self.users["itil.agent"]
        for key, (text, state, impact, urgency, category) in enumerate(PROBLEMS):
            values = {
                "short_description": text,
                "state": state,
                "problem_state": state,
                "impact": impact,
                "urgency": urgency,
                "priority": str(int(impact) + int(urgency) - 1),
                "category": category,
                "assignment_group": self.groups["Service Desk"],
                "known_error": "true" if state == "106" else "false",
                "active": "false" if state == "106" else "true",
            }
            self.add_as(agent, "problem", str(key), values)

    def person(
        self,
        user_name: str,
        first: str,
        last: str,
        department: str,
        roles: str = "",
        **extra: str,
    ) -> Actor:
        """Add an employee with the shared demo password."""
        values = {
            "user_name": user_name,
            "first_name": first,
            "last_name": last,
            "email": f"{user_name}@example.com",
            "department": self.departments[department],
            "roles": roles,
            "time_zone": "Europe/London",
            "employee_number": f"E{len(self.users) + 1001}",
            "u_entra_object_id": _guid(sys_id_for(f"entra:{user_name}")),
            "title": "Associate",
            "user_password": DEMO_PASSWORD,
        }
        sys_id = self.add_as(SYSTEM, "sys_user", user_name, values | extra)
        actor = Actor(sys_id, user_name, f"{first} {last}", frozenset(filter(None, [roles])))
        self.users[user_name] = actor
        return actor

    def _people(self) -> None:
        self.person("abel.tuter", "Abel", "Tuter", "Sales", title="Account Executive")
        self.person("beth.anglin", "Beth", "Anglin", "Finance", title="Financial Analyst")
        self.person("itil.agent", "Ivy", "Tillman", "IT", roles="itil", title="Service Desk Agent")
        self.person("hr.agent", "Hana", "Reyes", "Human Resources", roles="sn_hr_core.case_writer")
        heads: dict[str, str] = {}
        for index, (first, last) in enumerate(zip(_FIRST, _LAST, strict=True)):
            department = DEPARTMENTS[index % len(DEPARTMENTS)]
            manager = heads.get(department, "")
            user_name = f"{first.lower()}.{last.lower()}"
            roles = "itil" if department == "IT" and index % 3 == 0 else ""
            actor = self.person(user_name, first, last, department, roles=roles, manager=manager)
            heads.setdefault(department, actor.sys_id)
        for user_name, department in (("abel.tuter", "Sales"), ("beth.anglin", "Finance")):
            update = {"manager": heads[department]}
            self.touch("sys_user", self.users[user_name].sys_id, SYSTEM, update, minutes=1)

    def _groups(self) -> None:
        it_groups = ("Service Desk", "Network", "Hardware", "Software", "Database")
        hr_groups = ("HR Tier 1", *(group for _, group in HR_COES.values()))
        for name in (*it_groups, *hr_groups):
            kind = "human_resources" if name.startswith("HR") else "itil"
            self.groups[name] = self.add(
                "sys_user_group", name, name=name, type=kind, active="true", description=name
            )
        agents = [actor for actor in self.users.values() if "itil" in actor.roles]
        for name in it_groups:
            for agent in agents:
                self.add(
                    "sys_user_grmember",
                    f"{name}:{agent.user_name}",
                    user=agent.sys_id,
                    group=self.groups[name],
                )
        for name in hr_groups:
            self.add(
                "sys_user_grmember",
                f"{name}:hr.agent",
                user=self.users["hr.agent"].sys_id,
                group=self.groups[name],
            )


def _guid(hex32: str) -> str:
    return f"{hex32[:8]}-{hex32[8:12]}-{hex32[12:16]}-{hex32[16:20]}-{hex32[20:]}"


# Seeded in-memory databases by seed name: the data is deterministic, so later emulators in the
# same process (the tests start one per test) copy it instead of seeding again.
_TEMPLATES: dict[str, bytes] = {}


def seed_database(
    conn: sqlite3.Connection, seed: str, admin_password: str, in_memory: bool = False
) -> None:
    """Seed an empty database; a seeded one only gets this run's admin password."""
    if in_memory and seed in _TEMPLATES:
        conn.deserialize(_TEMPLATES[seed])
    if is_seeded(conn):
        ensure_admin_password(conn, admin_password)
        return
    seed_metadata(conn, admin_password)
    if seed == "demo":
        DemoCompany(conn).build()
    if in_memory:
        conn.commit()
        _TEMPLATES[seed] = conn.serialize()
