"""A pack and its message map: one map version per run, stale cells, consistency findings."""

from __future__ import annotations

import argparse
import json
import zipfile
from pathlib import Path

import pytest
import yaml

from comms.cli.packs import pack
from comms.maps.library import load_map, shipped_map_text
from comms.packs.archive import export_pack
from comms.packs.campaign import Campaign, Cell, cells
from comms.packs.coherence import pack_consistency, stale_cells
from comms.packs.generation import generate_pack, regenerate_cell
from comms.packs.review import edit_text
from core.settings import Settings, load_settings
from knowledge.retrieval.store import Store
from tests.pack_helpers import generated, pack_settings, scripted, small_campaign

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

SMS = Cell("older-adults", "sms", "de")
STRAY = "Die Impfung schützt 97 von 100 Geimpften."


def _change_the_map(settings: Settings) -> str:
    """The office approves a new version of the flu map; its version hash."""
    path = settings.data_dir / "maps" / "flu.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(shipped_map_text("flu") + "\n# approved again by the office\n", "utf-8")
    return load_map("flu", settings).version


def _overview(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        name = next(n for n in archive.namelist() if n.endswith("index.html"))
        return archive.read(name).decode("utf-8")


def _manifest(path: Path) -> dict:  # type: ignore[type-arg]
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("manifest.json"))  # type: ignore[no-any-return]


def _cli(tmp_path: Path, campaign: Campaign, store: Store, monkeypatch, capsys) -> str:  # type: ignore[no-untyped-def]
    """Run `python -m comms pack --resume --draft` on the campaign; its standard error."""
    file = tmp_path / "campaign.yaml"
    file.write_text(yaml.safe_dump(campaign.model_dump(mode="json", exclude_none=True)), "utf-8")
    monkeypatch.setattr("knowledge.open_store", lambda settings: store)
    args = argparse.Namespace(
        campaign=file, out=tmp_path / "cli.zip", resume=True, draft=True, user="cli",
        ask_model=False, strict=False, queue=False,
    )  # fmt: skip
    assert pack(args) == 0
    return capsys.readouterr().err  # type: ignore[no-any-return]


def test_every_cell_the_manifest_and_the_audit_name_one_map_version(
    settings: Settings, fake_store: Store, tmp_path: Path
) -> None:
    settings = pack_settings(settings)
    packs, run = generated(settings, fake_store)
    version = load_map("flu", settings).version
    assert (run.map_id, run.map_version) == ("flu", version)
    record = packs.campaign("flu-test")
    assert (record.map_id, record.map_version) == ("flu", version)
    stored = packs.messages("flu-test")
    assert {m.message["map"]["version"] for m in stored} == {version} and len(stored) == 8
    events = packs.events("flu-test")
    (started,) = [e for e in events if e.action == "generate_run"]
    assert started.template_id == "map:flu" and started.template_version == version
    assert f"map flu version {version}" in started.detail
    cell_events = [e for e in events if e.action == "generate"]
    assert len(cell_events) == 8
    assert all(e.detail.startswith(f"map flu version {version}") for e in cell_events)
    out = export_pack(packs, "flu-test", tmp_path / "p.zip", user="Ann", draft=True).path
    manifest = _manifest(out)
    assert manifest["map"] == {"id": "flu", "version": version, "in_effect": version}
    assert {m["generated"]["map"]["version"] for m in manifest["messages"]} == {version}
    assert f"version {version}" in _overview(out)


def test_a_changed_map_makes_the_earlier_cells_stale_everywhere(
    settings: Settings, fake_store: Store, tmp_path: Path, monkeypatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    settings = pack_settings(settings)
    campaign = small_campaign()
    packs, run = generated(settings, fake_store, campaign)
    assert run.coherence is not None and run.coherence.stale == ()
    assert stale_cells(campaign, packs.messages("flu-test"), settings) == []
    old, new = run.map_version, _change_the_map(settings)
    assert old != new
    stale = stale_cells(campaign, packs.messages("flu-test"), settings)
    assert stale == cells(campaign)  # every cell, in the grid's order
    fresh = regenerate_cell(
        packs, "flu-test", SMS, settings=settings, knowledge=fake_store, user="Bo"
    )
    assert fresh.message["map"]["version"] == new
    stale = stale_cells(campaign, packs.messages("flu-test"), settings)
    assert SMS not in stale and len(stale) == 7
    out = export_pack(packs, "flu-test", tmp_path / "p.zip", user="Ann", draft=True).path
    overview, manifest = _overview(out), _manifest(out)
    assert "older version of the message map" in overview
    assert all(cell.key in overview for cell in stale) and SMS.key not in overview.split("<ul>")[1]
    assert manifest["stale_cells"] == [cell.key for cell in stale]
    assert manifest["map"]["in_effect"] == new
    err = _cli(tmp_path, campaign, fake_store, monkeypatch, capsys)
    assert f"Message map: flu, version {new}." in err
    assert "7 message(s) came from an older map version" in err
    assert all(cell.key in err for cell in stale)


def test_consistency_findings_reach_the_export_overview_and_the_cli(
    settings: Settings, fake_store: Store, tmp_path: Path, monkeypatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    settings = pack_settings(settings)
    campaign = small_campaign()
    packs, run = generated(settings, fake_store, campaign)
    assert run.coherence is not None
    assert all(f.kind != "facts" for f in run.coherence.findings)  # composed: no stray numbers
    current = packs.message("flu-test", SMS)
    assert current is not None
    edit_text(packs, "flu-test", SMS, f"{current.text}\n{STRAY}", user="Bo", revision=1)
    findings = pack_consistency(campaign, packs.messages("flu-test"))
    facts = [f for f in findings if f.kind == "facts"]
    assert [f.cells for f in facts] == [(SMS,)] and "97" in facts[0].detail
    out = export_pack(packs, "flu-test", tmp_path / "p.zip", user="Ann", draft=True).path
    overview = _overview(out)
    assert "<h2>Consistency</h2>" in overview and "97" in overview.split("<h2>Consistency")[1]
    assert "facts" in [f["kind"] for f in _manifest(out)["consistency"]]
    err = _cli(tmp_path, campaign, fake_store, monkeypatch, capsys)
    assert "Consistency (facts): older-adults/sms/de states 97" in err


def test_a_pack_that_does_not_ask_the_model_never_calls_it(
    settings: Settings, fake_store: Store
) -> None:
    settings = pack_settings(settings)
    campaign = small_campaign()
    packs, _ = generated(settings, fake_store, campaign)  # the scripted chat is handed over
    chat = scripted(8)
    run = generate_pack(
        packs, "flu-test", settings=settings, chat=chat, knowledge=fake_store, user="Ann",
        ask_model=False,
    )  # fmt: skip
    regenerate_cell(
        packs, "flu-test", SMS, settings=settings, chat=chat, knowledge=fake_store, user="Bo",
        ask_model=False,
    )  # fmt: skip
    assert chat.calls == [] and run.skipped == 8
    assert {m.message["version"] for m in packs.messages("flu-test")} == {"composed"}


@pytest.mark.parametrize(("mode", "calls"), [("always", 1), ("on-request", 0), ("never", 0)])
def test_the_setting_decides_when_the_run_does_not_say(
    settings: Settings, fake_store: Store, mode: str, calls: int
) -> None:
    settings = load_settings(data_dir=settings.data_dir, repair_tries=0, ask_model=mode)
    campaign = small_campaign(audiences=["older-adults"], channels=["sms"], languages=["de"])
    packs, run = generated(settings, fake_store, campaign, ask_model=None)  # the setting decides
    chat = scripted(1)
    regenerate_cell(packs, "flu-test", SMS, settings=settings, chat=chat, knowledge=fake_store,
                    user="Bo")  # fmt: skip
    assert len(chat.calls) == calls and run.asked_model is (mode == "always")
