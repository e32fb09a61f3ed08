"""A months-long monitor runs an audit every few minutes: nothing may pile up per run (here: log handlers)."""

from __future__ import annotations

import logging

from agent.app.progress import quiet_nornir


def test_nornir_logger_gets_one_null_handler_however_many_runs() -> None:
    logger = logging.getLogger("nornir")
    before = list(logger.handlers)
    try:
        for _ in range(50):
            quiet_nornir()
        nulls = [h for h in logger.handlers if isinstance(h, logging.NullHandler)]
        assert len(nulls) == 1
    finally:
        logger.handlers[:] = before
