"""Facts of a cloud remembered for a minute (`clients.remembered`): an apply of hundreds of
machines asks for an image's id or a region's zones once, not once per machine."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from govcloud.cloud import clients


@pytest.fixture(autouse=True)
def _fresh() -> Iterator[None]:
    clients.reset()
    yield
    clients.reset()


class Asker:
    def __init__(self) -> None:
        self.asked = 0

    def __call__(self) -> str:
        self.asked += 1
        return f"answer {self.asked}"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    now = [1000.0]
    monkeypatch.setattr(clients.time, "monotonic", lambda: now[0])
    return now


def test_an_answer_is_asked_once_within_the_minute_then_again(clock: list[float]) -> None:
    ask = Asker()
    key = ("endpoint", "http://127.0.0.1:1", "cn-north-1", "image", "kylin-v10")
    assert clients.remembered(key, ask) == "answer 1"
    clock[0] += clients.REMEMBER_SECONDS - 1
    assert clients.remembered(key, ask) == "answer 1"
    clock[0] += 2
    assert clients.remembered(key, ask) == "answer 2"
    assert ask.asked == 2


def test_each_key_is_its_own_question(clock: list[float]) -> None:
    ask = Asker()
    clients.remembered(("endpoint", None, "cn-north-1", "first zone"), ask)
    clients.remembered(("endpoint", None, "cn-northwest-1", "first zone"), ask)
    clients.remembered(("pool", "classified", "cn-north-1", "first zone"), ask)
    assert ask.asked == 3


def test_an_error_is_not_remembered(clock: list[float]) -> None:
    key = ("endpoint", None, "cn-north-1", "image", "missing")

    def fails() -> str:
        raise LookupError("not registered")

    with pytest.raises(LookupError):
        clients.remembered(key, fails)
    assert clients.remembered(key, Asker()) == "answer 1"


def test_other_credentials_forget_what_was_remembered(clock: list[float]) -> None:
    ask = Asker()
    key = ("endpoint", None, "cn-north-1", "image", "kylin-v10")
    clients.remembered(key, ask)
    clients.use_credentials({"AWS_ACCESS_KEY_ID": "another", "AWS_SECRET_ACCESS_KEY": "account"})
    assert clients.remembered(key, ask) == "answer 2"
