"""The gateway's log formats: today's human lines, or one JSON object per line (``--log-format json``).

Every JSON line carries the same keys: ``time`` (UTC, ISO 8601 with milliseconds), ``level``,
``logger``, ``message``, and ``rpc``, ``caller``, ``study``, ``outcome`` — set on the access-log
line each RPC writes (``zkgate.services.rpc``, see ``metrics.RpcObserver``) and null on other lines.
An access line adds ``duration_ms``; a line logged with an exception adds ``error`` (the traceback).
"""

from __future__ import annotations

import json
import logging
import sys
import time

LOG_FORMATS = ("human", "json")
HUMAN_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
RPC_FIELDS = ("rpc", "caller", "study", "outcome")


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        seconds = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        line = {
            "time": f"{seconds}.{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in RPC_FIELDS:
            line[key] = getattr(record, key, None)
        duration = getattr(record, "duration_ms", None)
        if duration is not None:
            line["duration_ms"] = duration
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["error"] = record.exc_text
        return json.dumps(line, ensure_ascii=False, default=str)


def configure_logging(log_format: str = "human", stream=None) -> logging.Handler:
    """Send the process's INFO logs to ``stream`` (stderr) in ``log_format``; returns the handler."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"unknown log format {log_format!r} (choose from {', '.join(LOG_FORMATS)})")
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(HUMAN_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return handler
