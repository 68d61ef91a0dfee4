"""A browser tab without the browser: one Streamlit session over its websocket, for the load test.

The session speaks Streamlit's own protocol (the protobuf messages the frontend sends and
receives on `/_stcore/stream`): it asks for a page, reads the elements the script sends until
the run finishes, and presses buttons or fills text inputs by the widget ids it was sent, as
the frontend would. Timings are from sending the request to the run's end: what a person
waits for, minus the browser's own drawing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState


@dataclass
class Widget:
    """A widget the page sent: its kind ("button", "text_input", …), id and label."""

    kind: str
    id: str
    label: str


@dataclass
class Run:
    """One script run: the widgets and texts it sent, how long it took, and its end."""

    seconds: float
    widgets: list[Widget] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    status: str = ""
    exception: str = ""

    def widget(self, kind: str, label: str) -> Widget:
        """The first widget of this kind whose label starts with `label`."""
        for found in self.widgets:
            if found.kind == kind and found.label.startswith(label):
                return found
        names = ", ".join(f"{w.kind}:{w.label}" for w in self.widgets)
        raise LookupError(f"no {kind} '{label}' on the page; it has {names}")


class Session:
    """One session of the app at `base` (http://host:port), cookies kept like a browser's."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")
        self.cookies: dict[str, str] = {}
        self.socket: Any = None
        self.page = ""

    async def open(self) -> float:
        """Load the page's HTML (the proxy sets its cookie here), then open the websocket."""
        import httpx

        started = time.perf_counter()
        async with httpx.AsyncClient() as client:
            answer = await client.get(f"{self.base}/", timeout=30)
            answer.raise_for_status()
            self.cookies.update(answer.cookies)
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        url = self.base.replace("http", "ws", 1) + "/_stcore/stream"
        self.socket = await websockets.connect(
            url, subprotocols=["streamlit"], additional_headers={"Cookie": cookie},  # type: ignore[list-item]
            max_size=64 * 2**20, open_timeout=30,
        )  # fmt: skip
        return time.perf_counter() - started

    async def run(self, page: str | None = None, states: list[WidgetState] | None = None) -> Run:
        """Run the script for `page` (the current one when None) with these widget states."""
        if page is not None:
            self.page = page
        message = BackMsg()
        message.rerun_script.page_name = self.page
        message.rerun_script.widget_states.widgets.extend(states or [])
        started = time.perf_counter()
        await self.socket.send(message.SerializeToString())
        run = Run(0.0)
        while True:
            data = await self.socket.recv()
            forward = ForwardMsg()
            forward.ParseFromString(data)
            kind = forward.WhichOneof("type")
            if kind == "delta":
                _read_delta(forward, run)
            elif kind == "script_finished":
                run.status = ForwardMsg.ScriptFinishedStatus.Name(forward.script_finished)
                if run.status != "FINISHED_EARLY_FOR_RERUN":
                    break
        run.seconds = time.perf_counter() - started
        return run

    async def close(self) -> None:
        if self.socket is not None:
            await self.socket.close()


def press(widget: Widget) -> WidgetState:
    """The state a click on this button sends."""
    state = WidgetState(id=widget.id)
    state.trigger_value = True
    return state


def typed(widget: Widget, text: str) -> WidgetState:
    """The state of a text input holding `text`."""
    state = WidgetState(id=widget.id)
    state.string_value = text
    return state


def _read_delta(forward: ForwardMsg, run: Run) -> None:
    element = forward.delta.new_element
    kind = element.WhichOneof("type")
    if kind is None:
        return
    body = getattr(element, kind)
    if kind == "exception":
        run.exception = f"{body.type}: {body.message}"
    if hasattr(body, "id") and body.id:
        run.widgets.append(Widget(kind, body.id, getattr(body, "label", "")))
    for attribute in ("body", "text", "code_text"):
        value = getattr(body, attribute, "")
        if isinstance(value, str) and value:
            run.texts.append(value)
