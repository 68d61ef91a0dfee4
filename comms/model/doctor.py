"""`python -m comms doctor`: what an office's IT person checks before anyone writes a message.

The model file's facts come from its GGUF header (read with the `gguf` package, no weights
loaded); the build's CPU features from llama.cpp itself; the smoke test runs five tokens through
the same crash-isolated worker the app uses.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from comms.model.gguf_header import HeaderError, read_header
from comms.model.licence import (
    LLAMA4_AUP_URL,
    LLAMA4_LICENSE_URL,
    UNKNOWN,
    ModelLicence,
    licence_of_server_model,
)
from core.database import DatabaseError, exists, location, pending_migrations
from core.errors import ClarionError
from core.postgres import Postgres
from core.settings import Settings, bundled_embedder_path

Status = Literal["ok", "warn", "fail"]
SHARD = re.compile(r"^(?P<stem>.*)-(?P<no>\d{5})-of-(?P<count>\d{5})\.gguf$")
# Marker tokens of the common chat-template families, most specific first.
TEMPLATE_FAMILIES = (
    ("<|header_start|>", "llama4"),
    ("<|start_header_id|>", "llama3"),
    ("<|im_start|>", "chatml"),
    ("<start_of_turn>", "gemma"),
    ("[INST]", "mistral"),
    ("<|user|>", "phi / zephyr"),
)
# CPU features llama.cpp reports; AMX is the one that crashes on the bundled model.
CPU_FEATURES = (
    "SSE3", "SSSE3", "AVX", "AVX2", "F16C", "FMA", "BMI2", "AVX512", "AVX_VNNI", "AVX512_VNNI",
    "AVX512_BF16", "AMX_INT8", "REPACK", "OPENMP", "LLAMAFILE",
)  # fmt: skip


class Finding(BaseModel):
    """One line of the report: what was checked, what was found, and whether that is fine."""

    name: str
    value: str
    status: Status = "ok"
    note: str = ""


class ModelFacts(BaseModel):
    """What a GGUF file's header says about the model."""

    path: str
    architecture: str = ""
    name: str = ""
    license: str = "unknown"
    license_name: str = ""
    license_link: str = ""
    parameters: int = 0
    file_type: str = ""
    context_length: int = 0
    expert_count: int = 0
    expert_used_count: int = 0
    shards_expected: int = 1
    shards_found: list[str] = Field(default_factory=list)
    shards_missing: list[str] = Field(default_factory=list)
    size_bytes: int = 0
    chat_template: str = ""
    tokenizer_model: str = ""
    tokenizer_pre: str = ""

    def licence(self) -> ModelLicence:
        """The licence facts of this model."""
        return ModelLicence(
            name=self.name or Path(self.path).name,
            architecture=self.architecture,
            license=self.license,
            license_name=self.license_name,
            license_link=self.license_link,
        )


class Report(BaseModel):
    """Everything `doctor` found; `ok` is False when anything failed."""

    findings: list[Finding]
    model: ModelFacts | None = None
    smoke: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return all(f.status != "fail" for f in self.findings)

    def failures(self) -> list[Finding]:
        return [f for f in self.findings if f.status == "fail"]


def shard_paths(first: Path) -> list[Path]:
    """Every shard of a split GGUF named like llama.cpp's `…-00001-of-00003.gguf`."""
    match = SHARD.match(first.name)
    if not match:
        return [first]
    count = int(match["count"])
    names = (f"{match['stem']}-{n:05d}-of-{count:05d}.gguf" for n in range(1, count + 1))
    return [first.with_name(name) for name in names]


def read_model_facts(path: Path) -> ModelFacts:
    """The model's facts from its GGUF header (and every shard's tensor list)."""
    from gguf import LlamaFileType

    header = read_header(path)
    meta = header.metadata
    arch = str(meta.get("general.architecture") or "")
    expected = int(meta.get("split.count") or 1)
    shards = shard_paths(path) if expected > 1 else [path]
    found = [p for p in shards if p.exists()]
    facts = ModelFacts(
        path=str(path),
        architecture=arch,
        name=str(meta.get("general.name") or ""),
        license=str(meta.get("general.license") or "unknown"),
        license_name=str(meta.get("general.license.name") or ""),
        license_link=str(meta.get("general.license.link") or ""),
        context_length=int(meta.get(f"{arch}.context_length") or 0),
        expert_count=int(meta.get(f"{arch}.expert_count") or 0),
        expert_used_count=int(meta.get(f"{arch}.expert_used_count") or 0),
        shards_expected=expected,
        shards_found=[p.name for p in found],
        shards_missing=[p.name for p in shards if not p.exists()],
        size_bytes=sum(p.stat().st_size for p in found),
        chat_template=str(meta.get("tokenizer.chat_template") or ""),
        tokenizer_model=str(meta.get("tokenizer.ggml.model") or ""),
        tokenizer_pre=str(meta.get("tokenizer.ggml.pre") or ""),
        parameters=header.parameters + sum(read_header(p).parameters for p in found if p != path),
    )
    file_type = meta.get("general.file_type")
    if file_type is not None:
        try:
            facts.file_type = LlamaFileType(int(file_type)).name.removeprefix("MOSTLY_")
        except ValueError:
            facts.file_type = f"type {file_type}"
    return facts


def template_family(template: str) -> str:
    """Which chat format a template writes, by its marker tokens."""
    for marker, family in TEMPLATE_FAMILIES:
        if marker in template:
            return family
    return "other"


def memory_bytes() -> tuple[int, int]:
    """Total and available memory from /proc/meminfo (0, 0 where there is none)."""
    try:
        text = Path("/proc/meminfo").read_text()
    except OSError:
        return 0, 0
    values = dict(re.findall(r"^(\w+):\s+(\d+) kB", text, re.MULTILINE))
    return int(values.get("MemTotal", 0)) * 1024, int(values.get("MemAvailable", 0)) * 1024


def build_features() -> dict[str, bool]:
    """The CPU features llama.cpp was compiled to use (llama_print_system_info)."""
    import llama_cpp

    info = llama_cpp.llama_print_system_info().decode(errors="replace")
    used = dict(re.findall(r"(\w+) = (\d)", info))
    return {name: used.get(name) == "1" for name in CPU_FEATURES if name in used}


def _gb(size: int) -> str:
    return f"{size / 1e9:.2f} GB"


def _model_findings(facts: ModelFacts) -> list[Finding]:
    shards = f"{len(facts.shards_found)} of {facts.shards_expected}"
    template = template_family(facts.chat_template) if facts.chat_template else "none"
    out = [
        # The file's name; the whole path is in `--json` (model.path).
        Finding(
            name="model", value=f"{facts.name or Path(facts.path).name} ({Path(facts.path).name})"
        ),
        Finding(name="architecture", value=facts.architecture or "unknown"),
        Finding(name="parameters", value=f"{facts.parameters / 1e9:.3f} B ({facts.parameters:,})"),
        Finding(name="quantisation", value=facts.file_type or "unknown"),
        Finding(name="context length", value=f"{facts.context_length:,} tokens (trained)"),
        Finding(
            name="shards",
            value=shards,
            status="fail" if facts.shards_missing else "ok",
            note=f"missing: {', '.join(facts.shards_missing)}" if facts.shards_missing else "",
        ),
        Finding(
            name="chat template",
            value=template,
            status="ok" if facts.chat_template else "warn",
            note=""
            if facts.chat_template
            else "no template in the file: llama-cpp-python "
            "falls back to a generic format, which instruct models answer poorly",
        ),
        _pre_finding(facts),
        *licence_findings(facts.licence()),
    ]
    if facts.expert_count:
        value = f"{facts.expert_count} experts, {facts.expert_used_count} used per token"
        out.insert(4, Finding(name="experts", value=value))
    return out


def licence_findings(licence: ModelLicence) -> list[Finding]:
    """The licence as read; for Llama models the attribution, for Llama 4 the EU notice."""
    value = licence.label()
    if licence.license == UNKNOWN:
        value = "unknown (the model file does not state its licence)"
    out = [Finding(name="licence", value=value)]
    if licence.is_llama4:
        note = f"{licence.notice('en')} Licence: {LLAMA4_LICENSE_URL} Policy: {LLAMA4_AUP_URL}"
        out.append(Finding(name="Llama 4 in the EU", value="read this", status="warn", note=note))
    if licence.attribution:
        note = "the app's sidebar and every pack overview show it, as the Llama licence asks"
        out.append(Finding(name="attribution", value=licence.attribution, note=note))
    return out


def _pre_finding(facts: ModelFacts) -> Finding:
    value = f"{facts.tokenizer_model or '?'} / pre-tokenizer {facts.tokenizer_pre or '?'}"
    if facts.tokenizer_pre in ("", "default") and facts.tokenizer_model == "gpt2":
        return Finding(
            name="tokenizer",
            value=value,
            status="warn",
            note="pre-tokenizer 'default' splits text differently from the model's training "
            "(for Llama 4 about 8–10 % more tokens); convert the model again with a current "
            "llama.cpp, which writes the right pre-tokenizer",
        )
    return Finding(name="tokenizer", value=value)


def _memory_finding(size: int) -> Finding:
    total, available = memory_bytes()
    value = f"model {_gb(size)}; memory {_gb(total)} total, {_gb(available)} available"
    if total and size > total:
        note = "the model is larger than this machine's memory: llama.cpp would page from disk"
        return Finding(name="fits in RAM", value=value, status="fail", note=note)
    if available and size > available:
        note = "less memory is free than the model needs: close other programs first"
        return Finding(name="fits in RAM", value=value, status="warn", note=note)
    return Finding(name="fits in RAM", value=value)


def _build_findings() -> list[Finding]:
    features = build_features()
    used = " ".join(name for name, on in features.items() if on) or "none"
    finding = Finding(name="llama.cpp build", value=used)
    if features.get("AMX_INT8"):
        finding.status = "warn"
        finding.note = (
            "a native build for an AMX Xeon: its repacking path crashes on some models, so "
            "Clarion loads without repacking; `make setup` builds the portable wheel"
        )
    elif features.get("AVX512"):
        finding.note = "built for AVX-512: will not run on CPUs without it"
    return [finding]


def _knowledge_findings(settings: Settings) -> list[Finding]:
    out = []
    try:
        folder = settings.resolved_embedder_path()
        bundled = folder == bundled_embedder_path()
        value = f"{folder.parent.name}/{folder.name}" + (" (bundled)" if bundled else "")
        out.append(Finding(name="embedder", value=value if bundled else str(folder)))
    except ClarionError as exc:
        out.append(Finding(name="embedder", value="not found", status="fail", note=str(exc)))
    from knowledge.retrieval.store import shared_store_error

    refused = shared_store_error(settings)
    if refused is not None:
        out.append(
            Finding(name="store", value=settings.store_label(), status="fail", note=str(refused))
        )
    else:
        out.append(Finding(name="store", value=settings.store_label()))
    return out


def _database_findings(settings: Settings) -> list[Finding]:
    """Which database, and whether its schema is current (without migrating it)."""
    where = location(settings)
    try:
        missing = pending_migrations(where)
    except DatabaseError as exc:
        return [Finding(name="database", value=str(where), status="fail", note=str(exc))]
    value = f"{where} ({'PostgreSQL' if isinstance(where, Postgres) else 'SQLite'})"
    if not exists(where):
        return [Finding(name="database", value=value, note="made when Clarion first uses it")]
    if missing:
        note = f"{len(missing)} migration(s) to apply, from {missing[0]}"
        if isinstance(where, Postgres) and not where.migrate:  # nothing will apply them
            note += ": run `python -m comms migrate`"
            return [Finding(name="database", value=value, status="fail", note=note)]
        note += "; applied when Clarion first opens it"
        return [Finding(name="database", value=value, status="warn", note=note)]
    return [Finding(name="database", value=value, note="schema up to date")]


def diagnose(settings: Settings, *, smoke: bool = True, chat: Any | None = None) -> Report:
    """Check the model, the build, the embedder and the store; optionally generate 5 tokens.

    The smoke test uses `chat` when given (the app's running model), else starts the configured
    backend for the test and stops it afterwards.
    """
    findings = [Finding(name="backend", value=settings.llm_mode)]
    facts = None
    if settings.llm_mode == "llamacpp":
        facts = _local_model(settings, findings)
        findings += _build_findings()
    else:
        servers = settings.llm_servers
        if len(servers) > 1:  # a pool: one line per server, with its slots as configured
            findings += [Finding(name="server", value=f"{s.url}, slots {s.slots}") for s in servers]
        else:
            findings.append(Finding(name="server", value=settings.llm_url or "(no URL set)"))
        if settings.llm_model:
            findings += licence_findings(licence_of_server_model(settings.llm_model))
    findings += _knowledge_findings(settings)
    findings += _database_findings(settings)
    report = Report(findings=findings, model=facts)
    if smoke and report.ok:
        report.smoke = _smoke(settings, chat, report.findings)
    return report


def _local_model(settings: Settings, findings: list[Finding]) -> ModelFacts | None:
    from comms.model.backends import check_gguf

    try:
        path = settings.resolved_model_path()
        check_gguf(path)
        facts = read_model_facts(path)
    except (ClarionError, HeaderError, OSError) as exc:
        findings.append(Finding(name="model", value="unusable", status="fail", note=str(exc)))
        return None
    findings.extend(_model_findings(facts))
    findings.append(_memory_finding(facts.size_bytes))
    return facts


def _smoke(settings: Settings, chat: Any | None, findings: list[Finding]) -> dict[str, Any] | None:
    """Five tokens through the same backend the app uses, with their speed."""
    from comms.model.backends import build_chat_model

    own = chat is None
    try:
        if chat is None:
            chat = build_chat_model(settings)
        result: dict[str, Any] = chat.smoke()  # type: ignore[union-attr]
    except ClarionError as exc:
        findings.append(Finding(name="smoke test", value="failed", status="fail", note=str(exc)))
        return None
    finally:
        if own and chat is not None and hasattr(chat, "close"):
            chat.close()
    tokens = int(result.get("completion_tokens") or 0)
    value = f"{tokens} tokens in {float(result.get('seconds') or 0):.2f} s"
    prompt_s, decode_s = result.get("prompt_seconds"), result.get("decode_seconds")
    if prompt_s and decode_s and tokens > 1:
        prefill = int(result.get("prompt_tokens") or 0) / prompt_s
        value += f" (prompt {prefill:.0f} tok/s, decode {(tokens - 1) / decode_s:.0f} tok/s)"
    findings.append(Finding(name="smoke test", value=value, status="ok" if tokens else "fail"))
    if not any(f.name == "licence" for f in findings) and hasattr(chat, "licence"):
        findings += licence_findings(chat.licence)  # a server's model, named by the server
    if result.get("prompt"):
        findings.append(_format_finding(str(result["prompt"]), findings))
    return result


def _format_finding(prompt: str, findings: list[Finding]) -> Finding:
    """Which chat format the prompt llama.cpp received was written in, against the file's own."""
    used = template_family(prompt)
    own = next((f.value for f in findings if f.name == "chat template"), "none")
    if own not in ("none", "other") and used != own:
        note = f"the model's own template is {own}, but the prompt was written as {used}"
        return Finding(name="prompt format", value=used, status="warn", note=note)
    return Finding(name="prompt format", value=used)


def render(report: Report) -> str:
    """The report as aligned text lines, one finding a line."""
    width = max(len(f.name) for f in report.findings)
    marks = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL"}
    lines = []
    for f in report.findings:
        lines.append(f"{marks[f.status]}  {f.name.ljust(width)}  {f.value}")
        if f.note:
            lines.append(f"      {' ' * width}  {f.note}")
    return "\n".join(lines)
