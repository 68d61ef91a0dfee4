"""A pool of model servers: CLARION_LLM_URL's syntax, the least busy server, failover, rest.

The servers are stand-ins on 127.0.0.1 (bench/standin.py) that answer after a fixed delay and
serve several requests at once; the real HTTP client runs."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from pydantic import ValidationError

from bench.standin import StandIn
from comms.model.backends import OpenAIChat, build_chat_model, concurrency
from comms.model.pool import ModelPool
from core.errors import BackendError
from core.settings import LlmServer, load_settings
from tests.conftest import free_port

SCHEMA = {"type": "object"}
ASK = [{"role": "user", "content": "Why vaccinate?"}]


def ask(chat: object) -> str:
    done = chat.complete(ASK, SCHEMA, seed=1, max_tokens=16, temperature=0.0)  # type: ignore[attr-defined]
    return str(done.text)


@pytest.fixture
def two() -> Iterator[tuple[StandIn, StandIn]]:
    """Two stand-ins, 2 slots each, 0.1 s an answer, each naming itself in its answers."""
    first, second = StandIn(slots=2, delay=0.1), StandIn(slots=2, delay=0.1)
    first.script(lambda body: '{"text": "first"}')
    second.script(lambda body: '{"text": "second"}')
    with first, second:
        yield first, second


@pytest.mark.parametrize(
    ("value", "servers"),
    [
        ("http://gpu:8080", [LlmServer("http://gpu:8080")]),
        ("http://gpu:8080#slots=4", [LlmServer("http://gpu:8080", 4)]),
        ("http://gpu:8080/v1#slots=auto", [LlmServer("http://gpu:8080/v1", "auto")]),
        (
            "http://gpu1:8080#slots=4, https://gpu2:8443",
            [LlmServer("http://gpu1:8080", 4), LlmServer("https://gpu2:8443", "auto")],
        ),
    ],
)
def test_the_url_setting_lists_servers_with_their_slots(value: str, servers: list) -> None:  # type: ignore[type-arg]
    assert load_settings(llm_url=value).llm_servers == servers


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ("http://gpu1:8080#slots=4,gpu2:8080", "'gpu2:8080' is not an http(s) URL"),
        ("http://gpu1:8080#slots=0", "'http://gpu1:8080#slots=0': slots must be a whole number"),
        ("http://gpu1:8080#slots=four", "not 'four'"),
        ("http://gpu1:8080#slot=4", "unknown option 'slot=4'"),
        ("http://gpu1:8080,,http://gpu2:8080", "empty entry"),
        ("http://gpu1:8080,http://gpu1:8080/v1", "lists http://gpu1:8080 twice"),
    ],
)
def test_a_bad_entry_is_named_in_the_error(value: str, named: str) -> None:
    with pytest.raises(ValidationError, match="CLARION_LLM_URL") as error:
        load_settings(llm_url=value)
    assert named in str(error.value)


def test_one_url_without_slots_is_one_server_one_request_at_a_time() -> None:
    with StandIn(slots=4) as server:
        chat = build_chat_model(load_settings(llm_mode="openai", llm_url=server.url))
        assert isinstance(chat, OpenAIChat) and concurrency(chat) == 1
        auto = build_chat_model(
            load_settings(llm_mode="openai", llm_url=server.url + "#slots=auto")
        )
        assert concurrency(auto) == 4  # read from GET /slots


def test_slots_are_read_from_the_server_when_not_given(two: tuple[StandIn, StandIn]) -> None:
    with StandIn() as plain:  # no /slots, as llama_cpp.server: 1
        plain.script(lambda body: "{}")
        url = ",".join([two[0].url, two[1].url + "#slots=3", plain.url])
        pool = build_chat_model(load_settings(llm_mode="openai", llm_url=url))
        assert isinstance(pool, ModelPool)
        assert [s.chat.slots for s in pool.servers] == [2, 3, 1] and pool.slots == 6
        assert pool.info.model_id == "stand-in-llama-4-maverick"


def test_requests_go_to_the_least_busy_server(two: tuple[StandIn, StandIn]) -> None:
    first, second = two
    url = f"{first.url}#slots=3,{second.url}#slots=1"
    pool = build_chat_model(load_settings(llm_mode="openai", llm_url=url))
    answers: list[str] = []
    threads = [threading.Thread(target=lambda: answers.append(ask(pool))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 8
    assert first.most_at_once == 3 and second.most_at_once == 1  # never over a server's slots
    assert first.answered + second.answered == 8 and first.answered > second.answered


def test_a_server_that_dies_is_rested_and_its_request_goes_to_another(
    two: tuple[StandIn, StandIn],
) -> None:
    first, second = two
    pool = build_chat_model(
        load_settings(llm_mode="openai", llm_url=f"{first.url},{second.url}", llm_retry_after=5)
    )
    assert isinstance(pool, ModelPool)
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(ask(pool))) for _ in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(0.05)
    first.kill()  # two requests in flight there are cut off
    for thread in threads:
        thread.join()
    assert sorted(results) == ['{"text": "second"}'] * 4  # all four answered, by the other
    assert "down" in pool.states()[0] and "up" in pool.states()[1]
    assert ask(pool) == '{"text": "second"}'  # resting: not asked


def test_a_rested_server_is_asked_again_and_comes_back(two: tuple[StandIn, StandIn]) -> None:
    second = two[1]
    port = free_port()
    back = StandIn(port=port, slots=2)
    back.script(lambda body: '{"text": "back"}')
    url = f"http://127.0.0.1:{port},{second.url}"
    with back:
        pool = build_chat_model(load_settings(llm_mode="openai", llm_url=url, llm_retry_after=0.2))
    assert isinstance(pool, ModelPool)
    assert ask(pool) == '{"text": "second"}'  # the first is down: refused
    assert "down" in pool.states()[0]
    with StandIn(port=port, slots=2) as again:
        again.script(lambda body: '{"text": "back"}')
        time.sleep(0.25)  # its rest is over
        assert ask(pool) == '{"text": "back"}'  # asked first: it has served the fewest
        assert "up" in pool.states()[0]


def test_no_server_answering_is_one_error_naming_each() -> None:
    urls = [f"http://127.0.0.1:{free_port()}", f"http://127.0.0.1:{free_port()}"]
    with pytest.raises(BackendError, match="No LLM server of the pool answers") as error:
        build_chat_model(load_settings(llm_mode="openai", llm_url=",".join(urls)))
    assert all(url in str(error.value) for url in urls)


def test_doctor_lists_every_server_of_the_pool(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from comms.model.doctor import diagnose

    url = "http://gpu1:8080#slots=4,http://gpu2:8080"
    report = diagnose(load_settings(data_dir=tmp_path, llm_mode="openai", llm_url=url), smoke=False)
    servers = [f.value for f in report.findings if f.name == "server"]
    assert servers == ["http://gpu1:8080, slots 4", "http://gpu2:8080, slots auto"]
