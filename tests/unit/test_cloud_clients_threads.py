"""The clients module's caches under many threads: each account asked once, one client per
key, and no reader fails while other threads reset the caches or change the credentials."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from govcloud.cloud import clients

THREADS = 32


@pytest.fixture(autouse=True)
def _fresh() -> Iterator[None]:
    clients.reset()
    yield
    clients.reset()


def together(work: Callable[[int], Any], n: int = THREADS) -> list[Any]:
    """Run work(i) on n threads released at the same moment."""
    start = threading.Barrier(n)

    def run(i: int) -> Any:
        start.wait()
        return work(i)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


class SlowSts:
    """An identity service that takes a while to answer and counts how often it is asked."""

    def __init__(self) -> None:
        self.calls = 0
        self._count = threading.Lock()

    def get_caller_identity(self) -> dict[str, str]:
        with self._count:
            self.calls += 1
        time.sleep(0.05)  # long enough for every thread to arrive while the first one asks
        return {"Account": "123456789012"}


def test_an_account_is_asked_once_however_many_threads_want_it(monkeypatch: pytest.MonkeyPatch) -> None:
    sts = SlowSts()
    monkeypatch.setattr(clients, "client", lambda *args, **kwargs: sts)
    accounts = together(lambda _: clients.account_id("cn-north-1", "http://127.0.0.1:1"))
    assert accounts == ["123456789012"] * THREADS
    assert sts.calls == 1


def test_one_client_per_key_across_threads() -> None:
    built = together(lambda i: clients.client("sqs", "cn-north-1", f"http://127.0.0.1:{i % 2 + 1}"))
    assert len({id(c) for c in built}) == 2


def test_readers_never_fail_while_others_reset_and_change_credentials() -> None:
    clients.use_endpoint("http://127.0.0.1:1")
    failures: list[BaseException] = []

    def work(i: int) -> None:
        try:
            for n in range(200):
                if i % 4 == 0:
                    clients.reset() if n % 2 else clients.use_endpoint("http://127.0.0.1:1")
                elif i % 4 == 1:
                    clients.use_credentials({"AWS_ACCESS_KEY_ID": f"k{n % 3}", "AWS_SECRET_ACCESS_KEY": "s"})
                elif i % 4 == 2:
                    clients.use_pools({"classified": clients.Pool("http://127.0.0.1:2")})
                    clients.endpoint_for(None)
                    clients.pool_connections()
                else:
                    try:
                        clients.pool("classified")
                    except Exception as exc:  # a pool just forgotten by reset: the one refusal expected
                        if "says nowhere where that pool is" not in str(exc):
                            raise
                    clients.session_arguments()
        except BaseException as exc:  # noqa: BLE001 - every failure of a thread is reported
            failures.append(exc)

    together(work, 16)
    assert failures == []
