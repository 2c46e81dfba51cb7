"""A small load test over raw HTTP (benchmarks/load.py is the larger one)."""

import pytest

from app import QUEUE_SIZE
from benchmarks.load import drawings_png, run_clients

pytestmark = pytest.mark.slow  # a real server (and browser) per module


def test_32_concurrent_clients_are_all_answered(app_server, mnist):
    url = app_server.url.rstrip("/")
    answered, errors, seconds = run_clients(url, drawings_png(mnist.x_test[:16]), clients=32, per_client=3)
    assert answered == 96 and not errors, errors[:3]
    assert seconds < 60


def test_a_burst_past_the_queue_is_told_it_is_busy(app_server, mnist):
    burst = QUEUE_SIZE * 2 + 40
    answered, errors, seconds = run_clients(app_server.url.rstrip("/"), drawings_png(mnist.x_test[:4]),
                                            clients=burst, per_client=1)
    assert answered + len(errors) == burst
    assert errors and all("Queue is full" in e for e in errors), errors[:3]
    assert answered >= QUEUE_SIZE and seconds < 90
