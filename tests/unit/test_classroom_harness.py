"""The classroom harness's own parts that need no server (``bench/classroom_load.py``)."""

from __future__ import annotations

import os
import time

import psutil

from bench.classroom_load import stolen_cores


def _children_cpu_seconds() -> float:
    total = 0.0
    for child in psutil.Process().children(recursive=True):
        try:
            times = child.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def test_stolen_cores_takes_its_share_of_every_core_and_stops():
    cores = os.cpu_count() or 1
    before = {c.pid for c in psutil.Process().children(recursive=True)}
    with stolen_cores(0.5):
        time.sleep(1.0)  # the processes start (a spawn takes a moment), then spin half of each 100 ms
        start = _children_cpu_seconds()
        time.sleep(1.0)
        burned = _children_cpu_seconds() - start
        spinning = {c.pid for c in psutil.Process().children(recursive=True)} - before
    assert len(spinning) >= cores
    # half of each core for one second, give or take a shared machine's scheduling
    assert 0.25 * cores <= burned <= 0.75 * cores, burned
    time.sleep(0.1)
    alive = {c.pid for c in psutil.Process().children(recursive=True) if c.is_running()} & spinning
    assert not alive


def test_no_competing_load_without_a_share():
    before = {c.pid for c in psutil.Process().children(recursive=True)}
    with stolen_cores(0.0):
        now = {c.pid for c in psutil.Process().children(recursive=True)}
    assert now == before
