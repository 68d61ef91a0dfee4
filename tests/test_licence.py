"""Model licences: read from the GGUF, never guessed; Llama 4's EU notice and "Built with Llama"
where, and only where, they apply: in `doctor`, the app (both interface languages) and packs."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from comms.model.backends import ModelInfo
from comms.model.doctor import diagnose
from comms.model.licence import (
    ATTRIBUTION,
    NOTICE,
    ModelLicence,
    licence_from_metadata,
    read_licence,
)
from comms.packs.archive import export_pack
from core.settings import bundled_model_path, load_settings
from tests.conftest import ROOT, ScriptedChat
from tests.pack_helpers import generated, pack_settings, small_campaign
from tests.tiny_llama4 import write_tiny_llama4
from ui import resources


def header_only(path: Path, arch: str, **general: str) -> Path:
    """A GGUF with general.* metadata and no tensors: enough for the header readers."""
    import gguf

    writer = gguf.GGUFWriter(path, arch)
    for key, value in general.items():
        writer.add_string(f"general.{key.replace('_', '.')}", value)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


@pytest.mark.parametrize(
    ("metadata", "llama", "llama4", "label"),
    [
        ({"general.architecture": "llama4", "general.license": "other"}, True, True, "other"),
        ({"general.architecture": "llama", "general.name": "Llama 4 Scout 17B 16E Instruct"},
         True, True, "unknown"),
        ({"general.architecture": "llama", "general.license": "llama3.1"}, True, False,
         "llama3.1"),
        ({"general.architecture": "llama", "general.name": "Meta-Llama-3-8B-Instruct"}, True,
         False, "unknown"),
        ({"general.architecture": "llama", "general.name": "SmolLM2 135M",
          "general.license": "apache-2.0"}, False, False, "apache-2.0"),
        ({"general.architecture": "qwen2", "general.license": "apache-2.0",
          "general.license.link": "https://example.org/LICENSE"}, False, False,
         "apache-2.0 (https://example.org/LICENSE)"),
        ({"general.architecture": "llama"}, False, False, "unknown"),
    ],
)  # fmt: skip
def test_what_a_licence_means(
    metadata: dict[str, Any], llama: bool, llama4: bool, label: str
) -> None:
    licence = licence_from_metadata(metadata)
    assert (licence.is_llama, licence.is_llama4, licence.label()) == (llama, llama4, label)
    assert licence.attribution == (ATTRIBUTION if llama else "")
    assert bool(licence.notice("de")) is llama4 and bool(licence.notice("en")) is llama4


def test_the_notice_in_both_languages_names_the_eu_clause() -> None:
    licence = ModelLicence(architecture="llama4")
    assert "European Union" in licence.notice("en") and "end users" in licence.notice("en")
    assert "Europäischen Union" in licence.notice("de") and "Endnutzer" in licence.notice("de")


def test_licences_are_read_from_the_files(tmp_path: Path) -> None:
    bundled = bundled_model_path()
    assert bundled is not None
    smol = read_licence(bundled)
    assert smol.license == "apache-2.0" and not smol.is_llama
    tiny4 = read_licence(write_tiny_llama4(tmp_path / "l4"))
    assert tiny4.license == "llama4" and tiny4.is_llama4 and tiny4.name == "tiny-llama4-test"
    mistral = read_licence(header_only(tmp_path / "m.gguf", "llama", name="Mistral 7B",
                                       license="apache-2.0"))  # fmt: skip
    assert mistral.license == "apache-2.0" and not mistral.is_llama
    silent = read_licence(header_only(tmp_path / "s.gguf", "qwen2", name="Some model"))
    assert silent.license == "unknown", "no licence in the file: unknown, not a guess"


def findings(settings: Any) -> dict[str, Any]:
    return {f.name: f for f in diagnose(settings, smoke=False).findings}


def test_doctor_shows_the_licence_and_only_for_llama4_the_eu_notice(tmp_path: Path) -> None:
    tiny4 = write_tiny_llama4(tmp_path / "l4")
    found = findings(load_settings(data_dir=tmp_path, model_path=tiny4))
    assert found["licence"].value == "llama4"
    assert found["Llama 4 in the EU"].status == "warn"
    assert "European Union" in found["Llama 4 in the EU"].note
    assert "https://www.llama.com/llama4/use-policy/" in found["Llama 4 in the EU"].note
    assert found["attribution"].value == "Built with Llama"

    smol = findings(load_settings(data_dir=tmp_path))
    assert smol["licence"].value == "apache-2.0"
    assert "Llama 4 in the EU" not in smol and "attribution" not in smol

    silent = header_only(tmp_path / "s.gguf", "qwen2", name="Some model")
    assert findings(load_settings(data_dir=tmp_path, model_path=silent))["licence"].value == (
        "unknown (the model file does not state its licence)"
    )


# The app -------------------------------------------------------------------------------------


@pytest.fixture
def app_with(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    def start(model: Path | None, ui_language: str = "de") -> AppTest:
        for cached in (resources.settings, resources.model_licence):
            cached.clear()
        monkeypatch.setenv("CLARION_DATA_DIR", str(tmp_path / "data"))
        if model is not None:
            monkeypatch.setenv("CLARION_MODEL_PATH", str(model))
        monkeypatch.chdir(ROOT)
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.session_state["ui_language"] = ui_language
        return at.run()

    yield start
    for cached in (resources.settings, resources.model_licence):
        cached.clear()


def sidebar_text(at: AppTest) -> str:
    return " ".join(c.value for c in at.sidebar.caption).replace("\\", "").replace("**", "")


@pytest.mark.parametrize("language", ["de", "en"])
def test_the_app_shows_the_llama4_notice_once_and_the_attribution(
    app_with: Any, tmp_path: Path, language: str
) -> None:
    at = app_with(write_tiny_llama4(tmp_path / "l4"), language)
    assert not at.exception, at.exception
    shown = " ".join(i.value for i in at.info)
    assert NOTICE[language] in shown
    assert "https://www.llama.com/llama4/use-policy/" in shown
    assert ("Lizenz: llama4" if language == "de" else "Licence: llama4") in sidebar_text(at)
    assert "Built with Llama" in sidebar_text(at)
    at.selectbox(key="topic").set_value("measles").run()
    assert not at.exception, at.exception
    assert NOTICE[language] not in " ".join(i.value for i in at.info), "once per session"


def test_the_app_with_the_bundled_model_shows_its_licence_and_no_notice(app_with: Any) -> None:
    at = app_with(None)
    assert "Lizenz: apache-2.0" in sidebar_text(at)
    assert not any("Llama 4" in i.value for i in at.info)
    assert "Built with Llama" not in sidebar_text(at)


# Packs ---------------------------------------------------------------------------------------


def faithful(language: str) -> dict[str, Any]:
    """The composed SMS of the pack's cell as the model's answer: it keeps the key messages,
    so the gate offers the model's version (the manifest then names the model)."""
    from comms.campaign_facts import CampaignFacts
    from comms.drafting.draft import Request
    from comms.drafting.write import compose_message
    from core.settings import load_settings

    floor = compose_message(
        Request("flu", "older-adults", "sms", language), settings=load_settings(), store=None,
        facts=CampaignFacts(**small_campaign().facts),
    )  # fmt: skip
    return {"text": floor.message.text, "citations": [1]}


def llama_chat(count: int) -> ScriptedChat:
    chat = ScriptedChat([faithful(("de", "en")[n % 2]) for n in range(count)])
    chat.info = ModelInfo("fake", "maverick.gguf", name="Llama-4-Maverick-17B-128E-Instruct",
                          license="llama4")  # fmt: skip
    return chat


def export(settings: Any, store: Any, tmp_path: Path, chat: ScriptedChat | None) -> dict[str, Any]:
    from comms.packs.generation import create_campaign, generate_pack
    from comms.packs.store import PackStore

    settings = pack_settings(settings)
    campaign = small_campaign(audiences=["older-adults"], channels=["sms"])
    if chat is None:
        packs, _ = generated(settings, store, campaign)
    else:
        packs = PackStore(settings)
        create_campaign(packs, campaign, settings=settings, user="Ann")
        generate_pack(packs, campaign.id, settings=settings, chat=chat, knowledge=store,
                      user="Ann", ask_model=True)  # fmt: skip
    result = export_pack(packs, campaign.id, tmp_path / "p.zip", user="Ann", draft=True)
    with zipfile.ZipFile(result.path) as archive:
        names = archive.namelist()
        page = next(archive.read(n).decode() for n in names if n.endswith("index.html"))
        return {"manifest": json.loads(archive.read("manifest.json")), "overview": page}


def test_the_manifest_records_the_models_name_and_licence(
    settings: Any, fake_store: Any, tmp_path: Path
) -> None:
    pack = export(settings, fake_store, tmp_path, llama_chat(2))
    model = pack["manifest"]["messages"][0]["model"]
    assert model["name"] == "Llama-4-Maverick-17B-128E-Instruct"
    assert model["license"] == "llama4" and model["model_id"] == "maverick.gguf"
    assert "Built with Llama" in pack["overview"]


def test_a_pack_from_another_model_has_no_llama_attribution(
    settings: Any, fake_store: Any, tmp_path: Path
) -> None:
    pack = export(settings, fake_store, tmp_path, None)
    assert pack["manifest"]["messages"][0]["model"]["model_id"] == "message map"  # composed
    assert "Built with Llama" not in pack["overview"]
