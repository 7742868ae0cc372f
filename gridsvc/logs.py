"""Log output of gridsvc's processes: plain text or one JSON object per line
(``GRIDSVC_LOG_FORMAT``), for the API's request log and the server's supervisor alike."""

from __future__ import annotations

import json
import logging


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        body = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        extra = getattr(record, "fields", None)
        if isinstance(extra, dict):
            body.update(extra)
        if record.exc_info:
            body["exception"] = self.formatException(record.exc_info)
        return json.dumps(body, ensure_ascii=False)


def configure(fmt: str, level: str) -> None:
    """Send the ``gridsvc`` loggers to standard error in ``fmt`` ("json" or text) from
    ``level`` up."""
    handler = logging.StreamHandler()
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger("gridsvc")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False
