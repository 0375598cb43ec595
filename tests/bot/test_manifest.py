"""`snowdesk manifest build|validate`, as an admin runs them before uploading to Teams.

The package built from settings passes the official schema of its version (v1.24, shipped with
Snowdesk, so no network is needed) and Snowdesk's own checks, language files included; each kind
of broken package yields the one plain line that tells the admin what to fix.
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import socket
import subprocess
import sys
import threading
import zipfile
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

import bot.manifest
from bot.manifest.schema import SHIPPED
from tests.helpers import shared_path

APP_ID = "6f1b2c3d-4e5f-4789-abcd-ef0123456789"
TEAMS_APP_ID = "0a1b2c3d-1111-4222-8333-944455556666"
TOPICS = [
    "Create IT ticket",
    "My IT tickets",
    "Ticket status",
    "Ticket details",
    "Update a ticket",
    "Ticket updates",
    "Create HR case",
    "My HR cases",
    "HR case details",
    "HR case updates",
    "Help",
    "Sign out",
]


LANGUAGES = ["de", "fr", "es", "nl", "ja"]
SHIPPED_SCHEMA = SHIPPED / "v1.24.MicrosoftTeams.schema.json"


@pytest.fixture
def schema() -> Path:
    """The official v1.30 schema from ../shared/: a newer version than the package's."""
    return shared_path("schemas", "teams-manifest", "v1.30.MicrosoftTeams.schema.json")


@pytest.fixture
def admin_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A working folder (no stray .env) and the settings an admin sets for Teams."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("MicrosoftAppId", APP_ID)
    monkeypatch.setenv("TEAMS_APP_ID", TEAMS_APP_ID)
    monkeypatch.setenv("SNOWDESK_PUBLIC_URL", "https://snowdesk.contoso.com/")
    return tmp_path


@pytest.fixture
def package(admin_env: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    assert _run("build") == 0
    capsys.readouterr()
    return admin_env / "build" / "snowdesk-teams-app.zip"


def _run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="snowdesk manifest")
    bot.manifest.add_arguments(parser)
    return bot.manifest.main(parser.parse_args(list(argv)))


def _validate(
    path: Path, capsys: pytest.CaptureFixture[str], schema: Path = SHIPPED_SCHEMA
) -> tuple[int, str]:
    code = _run("validate", str(path), "--schema", str(schema))
    return code, capsys.readouterr().out


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """No network: any download attempt fails as it does on a machine without one."""
    import httpx

    def refuse(*args: object, **kwargs: object) -> None:
        raise httpx.ConnectError("no network")

    monkeypatch.setattr(httpx, "get", refuse)


def test_build_then_validate_passes_offline(
    package: Path, offline: None, capsys: pytest.CaptureFixture[str]
) -> None:
    with zipfile.ZipFile(package) as archive:
        names = sorted(archive.namelist())
        manifest = json.loads(archive.read("manifest.json"))
        languages = {name: json.loads(archive.read(name)) for name in names if len(name) == 7}
    assert names == sorted(
        ["color.png", "manifest.json", "outline.png", "en.json"]
        + [f"{tag}.json" for tag in LANGUAGES]
    )
    assert "${{" not in json.dumps(manifest)
    assert (manifest["id"], manifest["bots"][0]["botId"]) == (TEAMS_APP_ID, APP_ID)
    assert manifest["developer"]["websiteUrl"] == "https://snowdesk.contoso.com"
    assert "snowdesk.contoso.com" in manifest["validDomains"]
    bot_entry = manifest["bots"][0]
    assert bot_entry["scopes"] == ["personal", "team", "groupChat"]
    assert bot_entry["supportsFiles"] is True
    personal = bot_entry["commandLists"][0]
    assert personal["scopes"] == ["personal"]
    assert [command["title"] for command in personal["commands"]] == TOPICS
    assert "webApplicationInfo" not in manifest  # no OAuth connection: no SSO
    (search,) = manifest["composeExtensions"][0]["commands"]
    assert (search["id"], search["type"]) == ("searchRecords", "query")
    assert search["description"] == "Search your tickets and cases"
    assert [p["name"] for p in search["parameters"]] == ["searchQuery"]
    assert manifest["composeExtensions"][0]["botId"] == APP_ID

    info = manifest["localizationInfo"]
    assert (info["defaultLanguageTag"], info["defaultLanguageFile"]) == ("en", "en.json")
    assert [language["languageTag"] for language in info["additionalLanguages"]] == LANGUAGES
    english = languages["en.json"]
    assert english["bots[0].commandLists[0].commands[0].title"] == "Create IT ticket"
    assert english["composeExtensions[0].commands[0].parameters[0].title"] == "Number or words"
    for name, strings in languages.items():
        assert strings.keys() == english.keys(), name  # every string in every language
    assert (
        languages["de.json"]["bots[0].commandLists[0].commands[0].title"] == "IT-Ticket erstellen"
    )

    assert _run("validate", str(package)) == 0
    out = capsys.readouterr().out
    assert "Schema: the official v1.24 schema shipped with Snowdesk." in out
    assert "is a valid Teams app package (manifest version 1.24)" in out


def test_a_schema_of_another_version_is_named_as_the_mismatch(
    package: Path, schema: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _validate(package, capsys, schema)
    assert code == 1
    assert out.splitlines()[0].startswith("manifestVersion: is '1.24' but the schema is for 1.30 (")
    assert len(out.splitlines()) == 3  # the mismatch, the schema used, the count


def test_a_string_without_translation_stops_the_build(
    admin_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    template = _copy_template(admin_env, lambda m: m["name"].update(full="Snowdesk, renamed"))
    assert _run("build", "--template", str(template)) == 1
    out = capsys.readouterr().out
    assert f"{template.parent}/languages/de.json has no translation of “Snowdesk, renamed”" in out


def test_build_names_each_missing_setting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("MicrosoftAppId", "TEAMS_APP_ID", "SNOWDESK_PUBLIC_URL", "BOT_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SNOWDESK_PUBLIC_URL", "http://insecure.example.com")
    assert _run("build") == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("MicrosoftAppId is not set")
    assert lines[1].startswith("TEAMS_APP_ID is not set")
    assert lines[2].startswith("SNOWDESK_PUBLIC_URL is not set to an https address")
    assert not (tmp_path / "build").exists()


def test_unknown_placeholder_is_taken_from_the_environment_or_named(
    admin_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    template = _copy_template(admin_env, lambda m: m["developer"].update(mpnId="${{MPN_ID}}"))
    assert _run("build", "--template", str(template)) == 1
    assert "MPN_ID is not set" in capsys.readouterr().out
    monkeypatch.setenv("MPN_ID", "1234567")
    assert _run("build", "--template", str(template)) == 0


def _copy_template(folder: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    source = Path(bot.manifest.__file__).resolve().parents[2] / "manifest"
    target = folder / "template"
    target.mkdir()
    manifest = json.loads((source / "manifest.json").read_text())
    change(manifest)
    (target / "manifest.json").write_text(json.dumps(manifest))
    for icon in ("color.png", "outline.png"):
        (target / icon).write_bytes((source / icon).read_bytes())
    shutil.copytree(source / "languages", target / "languages")
    return target / "manifest.json"


# --- broken packages and the line each one yields ----------------------------------------------


def _png(size: tuple[int, int], colour: tuple[int, ...], mode: str = "RGBA") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def _coloured_outline() -> bytes:
    image = Image.new("RGBA", (32, 32), (255, 255, 255, 0))
    image.putpixel((5, 7), (200, 30, 30, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(manifest: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = manifest
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        if value is _DELETE:
            del target[last]
        else:
            target[int(last) if last.isdigit() else last] = value

    return change


_DELETE = object()

BROKEN: dict[str, tuple[Callable[[dict[str, Any]], None] | None, dict[str, bytes], str]] = {
    "bad GUID": (
        _set("id", "not-a-guid"),
        {},
        "id: 'not-a-guid' is not a GUID (like 6f1b2c3d-4e5f-6789-abcd-ef0123456789); "
        "it must be the Teams app id",
    ),
    "wrong icon size": (
        None,
        {"color.png": _png((100, 100), (29, 95, 168, 255))},
        "icons.color: 'color.png' is 100×100 pixels; Teams needs 192×192",
    ),
    "coloured outline": (
        None,
        {"outline.png": _coloured_outline()},
        "icons.outline: 'outline.png' has 1 coloured pixels (the first at 5,7 is #C81E1E); "
        "Teams needs white on transparent",
    ),
    "opaque outline": (
        None,
        {"outline.png": _png((32, 32), (255, 255, 255), mode="RGB")},
        "icons.outline: 'outline.png' has no transparent background; "
        "Teams needs white on transparent",
    ),
    "missing language file": (
        _set("localizationInfo.additionalLanguages.0.file", "de-DE.json"),
        {},
        "localizationInfo.additionalLanguages[0].file: names 'de-DE.json' but the package has "
        "no such file",
    ),
    "too-long translated name": (
        None,
        {
            "fr.json": json.dumps(
                {
                    "name.short": "Snowdesk, le bureau des demandes",
                    "description.short": "x",
                    "description.full": "x",
                }
            ).encode()
        },
        "fr.json: name.short: is 32 characters long; it must be at most 30",
    ),
    "search answered by another bot": (
        _set("composeExtensions.0.botId", "99999999-2222-4333-8444-555555555555"),
        {},
        "composeExtensions[0].botId: must be the bot's app id (bots[0].botId): Teams sends "
        "searches to that bot",
    ),
    "missing icon": (
        _set("icons.outline", "outline-white.png"),
        {},
        "icons.outline: names 'outline-white.png' but the package has no such file at its root",
    ),
    "too-long title": (
        _set("bots.0.commandLists.0.commands.0.title", "Create a brand new HR case for me"),
        {},
        "bots[0].commandLists[0].commands[0].title: 'Create a brand new HR case for me' is 33 "
        "characters; Teams shows at most 32",
    ),
    "missing field": (
        _set("developer.privacyUrl", _DELETE),
        {},
        "developer.privacyUrl: is missing (Teams requires it)",
    ),
    "old manifest version": (
        _set("manifestVersion", "1.17"),
        {},
        "manifestVersion: is '1.17'; Snowdesk packages use 1.19 to 1.30",
    ),
    "schema and version disagree": (
        _set("manifestVersion", "1.30"),
        {},
        "$schema: names manifest version 1.24 but manifestVersion is '1.30'; make them the same",
    ),
    "lower-case groupchat": (
        _set("bots.0.scopes", ["personal", "groupchat"]),
        {},
        "bots[0].scopes[1]: 'groupchat' is not allowed; use one of: team, personal, groupChat, "
        "copilot",
    ),
    "bot id is another app": (
        _set("bots.0.botId", "99999999-2222-4333-8444-555555555555"),
        {},
        f"bots[0].botId: is 99999999-2222-4333-8444-555555555555 but MicrosoftAppId is {APP_ID}: "
        "Teams would send messages to another bot; rebuild the package with the right settings",
    ),
    "domain with scheme": (
        _set("validDomains", ["https://snowdesk.contoso.com"]),
        {},
        "validDomains[0]: 'https://snowdesk.contoso.com' must be a host name only, "
        "without https:// or a path",
    ),
}


def _repack(
    package: Path, change: Callable[[dict[str, Any]], None] | None, files: dict[str, bytes]
) -> Path:
    with zipfile.ZipFile(package) as archive:
        contents = {name: archive.read(name) for name in archive.namelist()}
    manifest = json.loads(contents["manifest.json"])
    if change:
        change(manifest)
    contents |= files
    contents["manifest.json"] = json.dumps(manifest).encode()
    broken = package.with_name("broken.zip")
    with zipfile.ZipFile(broken, "w") as archive:
        for name, data in contents.items():
            archive.writestr(name, data)
    return broken


@pytest.mark.parametrize("case", list(BROKEN))
def test_broken_package_yields_the_admin_friendly_line(
    case: str, package: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    change, files, expected = BROKEN[case]
    code, out = _validate(_repack(package, change, files), capsys)
    assert code == 1
    assert expected in out.splitlines(), out
    assert "Traceback" not in out


def test_manifest_inside_a_folder_of_the_zip_is_explained(
    package: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nested = package.with_name("nested.zip")
    with zipfile.ZipFile(package) as source, zipfile.ZipFile(nested, "w") as target:
        for name in source.namelist():
            target.writestr(f"appPackage/{name}", source.read(name))
    code, out = _validate(nested, capsys)
    assert code == 1
    assert (
        "nested.zip: has no manifest.json at the root of the zip "
        "(found 'appPackage/manifest.json': zip the files, not their folder)"
    ) in out


def test_unbuilt_template_names_its_placeholders(
    admin_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    template = Path(bot.manifest.__file__).resolve().parents[2] / "manifest" / "manifest.json"
    code, out = _validate(template, capsys)
    assert code == 1
    assert (
        "bots[0].botId: still holds the placeholder ${{BOT_ID}}: build the package with "
        "`snowdesk manifest build`, which fills it from settings"
    ) in out.splitlines()


# --- a version Snowdesk does not ship: the schema named by $schema, downloaded once, cached ----


@pytest.fixture
def schema_server(schema: Path) -> Iterator[tuple[str, list[str]]]:
    """A loopback HTTP server standing in for developer.microsoft.com; records each request."""
    body, hits = schema.read_bytes(), []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", hits
    server.shutdown()
    server.server_close()
    thread.join()


def test_schema_from_the_manifest_url_is_downloaded_once(
    package: Path,
    schema_server: tuple[str, list[str]],
    admin_env: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    base, hits = schema_server
    url = f"{base}/json-schemas/teams/v1.30/MicrosoftTeams.schema.json"
    pointed = _repack(package, _v130(url), {})
    assert _run("validate", str(pointed)) == 0
    assert _run("validate", str(pointed)) == 0
    assert hits == ["/json-schemas/teams/v1.30/MicrosoftTeams.schema.json"]
    assert list((admin_env / "cache" / "snowdesk" / "schemas").iterdir())
    assert f"Schema: {url} (cached at " in capsys.readouterr().out


def _v130(url: str) -> Callable[[dict[str, Any]], None]:
    """The package relabelled as manifest version 1.30, with its $schema at `url`."""

    def change(manifest: dict[str, Any]) -> None:
        manifest["$schema"], manifest["manifestVersion"] = url, "1.30"

    return change


def test_unreachable_schema_is_not_a_package_problem(
    package: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/teams/v1.30/MicrosoftTeams.schema.json"
    assert _run("validate", str(_repack(package, _v130(url), {}))) == 2
    out = capsys.readouterr().out
    assert f"Not checked against the official schema: cannot download the schema {url} " in out
    assert "passes Snowdesk's own checks; the schema check did not run." in out
    assert "problem" not in out and "Traceback" not in out


def test_manifest_command_keeps_heavy_imports_lazy() -> None:
    code = (
        "import sys, bot.manifest; "
        "heavy = {'PIL', 'jsonschema', 'httpx', 'botbuilder'} & set(sys.modules); "
        "print(sorted(heavy))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_sso_puts_web_application_info_in_the_package(
    admin_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With an OAuth connection the package asks Teams for SSO tokens for the bot's app."""
    monkeypatch.setenv("SNOWDESK_OAUTH_CONNECTION", "snowdesk-sso")
    assert _run("build") == 0, capsys.readouterr().out
    with zipfile.ZipFile(admin_env / "build" / "snowdesk-teams-app.zip") as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["webApplicationInfo"] == {"id": APP_ID, "resource": f"api://botid-{APP_ID}"}
    assert "token.botframework.com" in manifest["validDomains"]
