"""What a model's licence says, as far as Clarion can tell from the model itself.

The licence comes from the GGUF header (`general.license`, with `general.license.name` and
`general.license.link` where a converter wrote them), never from a guess: a file without it is
"unknown". Two facts follow from it, and from the model's name and architecture: whether the
model is a Llama model (its licence asks products to show "Built with Llama") and whether it is
a Llama 4 model (whose Acceptable Use Policy does not grant the rights to its multimodal models
to people and companies in the EU). Clarion informs; it does not block.
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel

UNKNOWN = "unknown"
LLAMA4_LICENSE_URL = "https://www.llama.com/llama4/license/"
LLAMA4_AUP_URL = "https://www.llama.com/llama4/use-policy/"
ATTRIBUTION = "Built with Llama"
# Meta's Llama models by name ("Llama-4-Maverick", "Meta-Llama-3.1-8B"), not every model that
# llama.cpp runs with its `llama` architecture (SmolLM2 uses it too).
_LLAMA_NAME = re.compile(r"(?<![a-z])llama[-_ ]?\d", re.IGNORECASE)
_LLAMA4_NAME = re.compile(r"(?<![a-z])llama[-_ ]?4", re.IGNORECASE)
_LLAMA_LICENSE = re.compile(r"^llama[-_ ]?\d", re.IGNORECASE)

NOTICE = {
    "en": (
        "This is a Llama 4 model. The Llama 4 Acceptable Use Policy does not grant the rights to "
        "Llama 4's multimodal models (Scout and Maverick are multimodal) to individuals domiciled "
        "in, or companies with a principal place of business in, the European Union; end users of "
        "a product built on such a model are not affected. A separate agreement with Meta may "
        "apply to public bodies. Ask your legal department before you run it."
    ),
    "de": (
        "Dies ist ein Llama-4-Modell. Die Acceptable Use Policy von Llama 4 gewährt die Rechte an "
        "den multimodalen Llama-4-Modellen (Scout und Maverick sind multimodal) nicht Personen mit "
        "Wohnsitz und Unternehmen mit Hauptsitz in der Europäischen Union; Endnutzer eines "
        "Produkts, das ein solches Modell verwendet, sind nicht betroffen. Für öffentliche Stellen "
        "kann eine gesonderte Vereinbarung mit Meta gelten. Klären Sie den Einsatz vorher mit "
        "Ihrer Rechtsabteilung."
    ),
}


class ModelLicence(BaseModel):
    """A model's name and licence as read, and what they mean for an office in the EU."""

    name: str = ""
    architecture: str = ""
    license: str = UNKNOWN
    license_name: str = ""
    license_link: str = ""

    @property
    def is_llama(self) -> bool:
        """A Meta Llama model: by licence, name or the llama4 architecture."""
        return (
            bool(_LLAMA_LICENSE.match(self.license))
            or bool(_LLAMA_NAME.search(self.name))
            or self.is_llama4
        )

    @property
    def is_llama4(self) -> bool:
        """A Llama 4 model (Scout, Maverick): by architecture, licence or name."""
        return (
            self.architecture == "llama4"
            or bool(re.match(r"^llama[-_ ]?4", self.license, re.IGNORECASE))
            or bool(_LLAMA4_NAME.search(self.name))
        )

    @property
    def attribution(self) -> str:
        """What the product must show: "Built with Llama" for a Llama model, else nothing."""
        return ATTRIBUTION if self.is_llama else ""

    def notice(self, language: str) -> str:
        """The EU notice for a Llama 4 model in the interface language; empty for others."""
        return NOTICE["de" if language == "de" else "en"] if self.is_llama4 else ""

    def label(self) -> str:
        """The licence as one short line: "llama4 (link)", "apache-2.0" or "unknown"."""
        text = self.license_name or self.license
        return f"{text} ({self.license_link})" if self.license_link else text


def licence_from_metadata(metadata: dict[str, object], fallback_name: str = "") -> ModelLicence:
    """The licence facts from a GGUF's `general.*` keys; what is missing stays unknown."""

    def get(key: str) -> str:
        value = metadata.get(key)
        return str(value).strip() if value not in (None, "") else ""

    return ModelLicence(
        name=get("general.name") or get("general.basename") or fallback_name,
        architecture=get("general.architecture"),
        license=get("general.license") or UNKNOWN,
        license_name=get("general.license.name"),
        license_link=get("general.license.link"),
    )


def read_licence(path: Path) -> ModelLicence:
    """The licence facts of a GGUF file (the first shard of a split model), from its header."""
    from comms.model.gguf_header import read_header

    return licence_from_metadata(read_header(path, tensors=False).metadata, path.name)


def licence_of_server_model(model_id: str) -> ModelLicence:
    """A model behind an OpenAI-compatible server: only its name is known."""
    return ModelLicence(name=model_id)
