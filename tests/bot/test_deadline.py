"""Who answers an invoke's request: its turn, in place, or the acknowledgement at the deadline;
never both, and never a turn's card dropped because the deadline came first."""

from __future__ import annotations

import asyncio
import json

from aiohttp import web

from bot.deadline import INVOKE_ACCEPTED, BackgroundTurns, InvokeAnswer


async def test_an_invoke_its_turn_answered_in_place_is_not_acknowledged() -> None:
    """The turn claimed the answer (its card), then the deadline passes while its state is
    saved → the request gets the turn's own response, not "Working on it"."""
    answer, saved, background = InvokeAnswer(), asyncio.Event(), BackgroundTurns()
    assert answer.answer_in_place()

    async def turn() -> web.StreamResponse:
        await saved.wait()
        return web.json_response({"type": "card"})

    response = asyncio.ensure_future(
        background.within(turn(), 0, invoke=True, activity_id="a", answer=answer)
    )
    await asyncio.sleep(0)  # let the deadline pass, then the turn finish saving
    saved.set()
    answered = await response
    assert isinstance(answered, web.Response) and answered.text is not None
    assert json.loads(answered.text) == {"type": "card"}
    assert not background.running


async def test_after_the_acknowledgement_the_turn_cannot_answer_in_place() -> None:
    """The deadline came first → "Working on it"; the turn's later claim fails, so it posts its
    card into the chat instead."""
    answer, background = InvokeAnswer(), BackgroundTurns()
    blocked = asyncio.Event()

    async def turn() -> web.StreamResponse:
        await blocked.wait()
        return web.json_response({"type": "card"})

    response = await background.within(turn(), 0, invoke=True, activity_id="b", answer=answer)
    assert isinstance(response, web.Response) and response.text is not None
    assert json.loads(response.text)["value"] == INVOKE_ACCEPTED
    assert not answer.answer_in_place()
    blocked.set()
    await background.close()
