"""The process that owns the in-process model: `python -m comms.model.worker`.

llama.cpp is C++: a segfault, an abort or the kernel's out-of-memory killer ends the whole
process it runs in. Clarion therefore loads the `Llama` object in this child process and talks
to it over two pipes, one JSON object a line. When the child dies, the app and the CLI see a
closed pipe, not a crash of their own (`comms.model.backends.LlamaCppChat` restarts it).

Protocol. The parent writes the configuration as the first line; the child answers
`{"ready": {...facts...}}` or `{"error": "..."}`. Each request is one line
`{"op": "complete" | "reset" | "smoke", ...}`; a completion streams `{"token": "..."}` lines and
ends with `{"done": {...counts...}}`, whose `finish_reason` says why it ended ("stop", "length"
at max_tokens, or "cancelled"). A `{"op": "cancel"}` line sent while a completion runs
stops it at the next token. Whatever llama.cpp prints goes to the child's stderr, which the parent
points at the model log, so a CLI run prints only its result.
"""

from __future__ import annotations

import json
import os
import select
import signal
import sys
import time
from collections.abc import Iterator
from typing import IO, Any

# The field of llama.cpp's model parameters that turns off weight repacking (AMX and others).
REPACK_FIELD = "use_extra_bufts"
# End-of-turn tokens of chat templates that llama.cpp does not recognise by their text as the
# end of generation (Llama 4's `<|eot|>`): without it, generation ends only if the file names
# the token as its eos, and otherwise runs on into a new turn.
END_OF_TURN = ("<|eot|>",)


class Pipe:
    """Line-framed JSON over raw file descriptors, so poll() sees exactly what is unread."""

    def __init__(self, read_fd: int, write: IO[str]) -> None:
        self._fd = read_fd
        self._buffer = b""
        self._write = write

    def send(self, **message: Any) -> None:
        self._write.write(json.dumps(message, ensure_ascii=False) + "\n")
        self._write.flush()

    def receive(self, timeout: float | None = None) -> dict[str, Any] | None:
        """The next message; None at end of input or when nothing arrived within timeout."""
        while b"\n" not in self._buffer:
            if timeout is not None and not _readable(self._fd, timeout):
                return None
            block = os.read(self._fd, 1 << 16)
            if not block:
                return None
            self._buffer += block
        line, self._buffer = self._buffer.split(b"\n", 1)
        return dict(json.loads(line))


def _readable(fd: int, timeout: float) -> bool:
    """Whether fd has something to read (or was closed) within timeout seconds. poll(), not
    select(): select() fails on a descriptor numbered 1024 or above, which a busy app server
    (many sessions, Chroma's files) reaches."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(max(0, round(timeout * 1000))))


def build_uses_amx(system_info: str) -> bool:
    """Whether llama.cpp was compiled with AMX kernels (a native build on a recent Xeon)."""
    return "AMX_INT8 = 1" in system_info or "AMX_TILE = 1" in system_info


def _load(config: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """Load the model as configured; returns the Llama and the facts the parent reports."""
    import llama_cpp
    from llama_cpp import Llama

    system_info = llama_cpp.llama_print_system_info().decode(errors="replace")
    repack = not build_uses_amx(system_info)
    if not repack:
        # A native build on an AMX Xeon crashes in ggml_backend_amx_mul_mat; load without the
        # repacked buffers (the portable build of `make setup` has no AMX and keeps repacking).
        _without_repacking(llama_cpp)
    started = time.perf_counter()
    llama = _llama(Llama, config, {})
    end_of_turn = _end_of_turn(llama)
    if end_of_turn and not _ends(llama, end_of_turn[0][1]):
        # Rare: a conversion whose end-of-turn token llama.cpp does not stop at. Load again,
        # naming it as the EOT token; every other model is loaded once.
        llama.close()
        llama = _llama(Llama, config, {"tokenizer.ggml.eot_token_id": end_of_turn[0][1]})
    facts = {
        "system_info": system_info.strip(),
        "repacking": repack,
        "load_seconds": round(time.perf_counter() - started, 3),
        "chat_format": llama.chat_format,
        "eos_token": _text(llama, llama.token_eos()),
        # The model's own name and licence, as its GGUF header states them.
        "metadata": {k: v for k, v in llama.metadata.items() if k.startswith("general.")},
        "end_of_turn": [
            {"token": token, "id": tid, "ends_generation": _ends(llama, tid)}
            for token, tid in end_of_turn
        ],
        "pid": os.getpid(),
    }
    return llama, facts


def _llama(llama_class: Any, config: dict[str, Any], overrides: dict[str, Any]) -> Any:
    return llama_class(
        model_path=config["model_path"],
        kv_overrides=overrides or None,
        n_ctx=config["n_ctx"],
        n_threads=config["n_threads"],
        n_threads_batch=config["n_threads_batch"],
        seed=config["seed"],
        verbose=False,
    )


def _end_of_turn(llama: Any) -> list[tuple[str, int]]:
    """The END_OF_TURN tokens the model's vocabulary has, with their ids."""
    found = []
    for token in END_OF_TURN:
        ids = llama.tokenize(token.encode(), add_bos=False, special=True)
        if len(ids) == 1:
            found.append((token, ids[0]))
    return found


def _ends(llama: Any, token: int) -> bool:
    import llama_cpp

    return bool(llama_cpp.llama_vocab_is_eog(llama_cpp.llama_model_get_vocab(llama.model), token))


def _text(llama: Any, token: int) -> str:
    return _text_of(llama, [token])


def _without_repacking(llama_cpp: Any) -> None:
    """Make every model this process loads use plain CPU buffers (no weight repacking)."""
    low = llama_cpp.llama_cpp
    original = low.llama_model_default_params

    def params() -> Any:
        value = original()
        setattr(value, REPACK_FIELD, False)
        return value

    low.llama_model_default_params = params


class Counter:
    """Prompt tokens sent, evaluated (not already in the KV cache) and generated, per call.

    Counted at the Llama object: `generate` receives the whole prompt; the first `eval` after it
    gets only the part not already in the KV cache (llama-cpp-python reuses the longest common
    token prefix with what the context holds); every `sample` is one generated token.
    """

    def __init__(self, llama: Any) -> None:
        self.prompt = self.evaluated = self.generated = 0
        self.last_prompt: list[int] = []
        self._first = False
        generate, evaluate, sample = llama.generate, llama.eval, llama.sample

        def counting_generate(tokens: Any, *args: Any, **kwargs: Any) -> Any:
            self.prompt, self._first = len(tokens), True
            self.last_prompt = list(tokens)
            return generate(tokens, *args, **kwargs)

        def counting_eval(tokens: Any) -> None:
            if self._first:
                self.evaluated, self._first = len(tokens), False
            evaluate(tokens)

        def counting_sample(*args: Any, **kwargs: Any) -> Any:
            self.generated += 1
            return sample(*args, **kwargs)

        llama.generate, llama.eval, llama.sample = counting_generate, counting_eval, counting_sample

    def reset(self) -> None:
        self.prompt = self.evaluated = self.generated = 0


def _stream(llama: Any, request: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """The streamed content pieces, each with the finish reason its chunk gave ("" until the
    last chunk, which says why generation stopped: "stop", or "length" at max_tokens)."""
    schema = request["schema"]
    stream = llama.create_chat_completion(
        messages=request["messages"],
        response_format={"type": "json_object", "schema": schema} if schema else None,
        max_tokens=request["max_tokens"],
        temperature=request["temperature"],
        seed=request["seed"],
        stream=True,
    )
    for chunk in stream:
        choice = chunk["choices"][0]
        delta = (choice.get("delta") or {}).get("content") or ""
        finish = str(choice.get("finish_reason") or "")
        if delta or finish:
            yield delta, finish


def log(line: str) -> None:
    """One timestamped line in the model log (this process's stderr)."""
    print(
        f"{time.strftime('%Y-%m-%d %H:%M:%S')} [{os.getpid()}] {line}", file=sys.stderr, flush=True
    )


def _complete(llama: Any, counter: Counter, pipe: Pipe, request: dict[str, Any]) -> None:
    log(f"generating: {len(request['messages'])} messages, up to {request['max_tokens']} tokens")
    counter.reset()
    started = time.perf_counter()
    cancelled, finish_reason = False, ""
    for delta, finish in _stream(llama, request):
        finish_reason = finish or finish_reason
        if not delta:
            continue
        pipe.send(token=delta)
        waiting = pipe.receive(timeout=0)
        if waiting is not None and waiting.get("op") == "cancel":
            cancelled = True
            break
    pipe.send(
        done={
            "prompt_tokens": counter.prompt,
            "evaluated_tokens": counter.evaluated,
            "completion_tokens": counter.generated,
            "seconds": round(time.perf_counter() - started, 4),
            "cancelled": cancelled,
            "finish_reason": "cancelled" if cancelled else finish_reason,
        }
    )


def _smoke(llama: Any, counter: Counter, pipe: Pipe, request: dict[str, Any]) -> None:
    """A short chat completion from an empty cache, timed: prompt reading until the first
    token, decoding after it. The prompt comes back as llama.cpp saw it (special tokens written
    out), so `doctor` can tell which chat format was applied."""
    llama.reset()
    counter.reset()
    started = time.perf_counter()
    first = None
    parts = []
    for delta, _finish in _stream(llama, {
        "messages": [{"role": "user", "content": request.get("prompt", "Vaccines protect")}],
        "max_tokens": request.get("max_tokens", 5), "temperature": 0.0, "seed": 0, "schema": None,
    }):  # fmt: skip
        if not delta:
            continue
        first = first or time.perf_counter()
        parts.append(delta)
    ended = time.perf_counter()
    first = first or ended
    pipe.send(
        done={
            "text": "".join(parts),
            "prompt_tokens": counter.prompt,
            "completion_tokens": counter.generated,
            "seconds": round(ended - started, 4),
            "prompt_seconds": round(first - started, 4),
            "decode_seconds": round(ended - first, 4),
            "prompt": _text_of(llama, counter.last_prompt),
        }
    )


def _text_of(llama: Any, tokens: list[int]) -> str:
    return bytes(llama.detokenize(tokens, special=True)).decode(errors="replace")


def serve(pipe: Pipe) -> int:
    """Load the model named by the first message, then answer requests until input ends."""
    config = pipe.receive()
    if config is None:
        return 0
    try:
        llama, facts = _load(config)
    except (ValueError, RuntimeError, OSError) as exc:
        pipe.send(error=f"llama.cpp could not load {config['model_path']}: {exc}")
        return 1
    counter = Counter(llama)
    log(f"loaded {config['model_path']} in {facts['load_seconds']} s")
    pipe.send(ready=facts)
    while (request := pipe.receive()) is not None:
        try:
            _answer(llama, counter, pipe, request)
        except Exception as exc:  # a bad request (e.g. a prompt too long) is its caller's error
            log(f"request failed: {exc!r}")
            pipe.send(error=str(exc))
    return 0


def _answer(llama: Any, counter: Counter, pipe: Pipe, request: dict[str, Any]) -> None:
    """Carry out one request, sending its answer."""
    match request.get("op"):
        case "complete":
            _complete(llama, counter, pipe, request)
        case "reset":
            llama.reset()
            pipe.send(done={})
        case "smoke":
            _smoke(llama, counter, pipe, request)
        case "last_prompt":  # the prompt of the last call, special tokens written out
            pipe.send(done={"prompt": _text_of(llama, counter.last_prompt)})
        case "cancel":  # arrived after its completion ended: nothing left to stop
            return
        case other:
            pipe.send(error=f"unknown request {other!r}")


def main() -> int:
    """Entry point of the child: the protocol on the original stdout, all else to stderr."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    # No PR_SET_PDEATHSIG: Linux sends it when the parent *thread* ends, and Streamlit starts
    # the model from a script thread that ends after each run. A parent that goes closes the
    # pipes instead: reading ends the loop, writing raises BrokenPipeError and ends the process.
    protocol = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # anything the C++ side prints to stdout lands in the model log
    sys.stdout = sys.stderr
    return serve(Pipe(0, protocol))


if __name__ == "__main__":
    sys.exit(main())
