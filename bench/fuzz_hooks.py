"""Schemathesis hooks of the API fuzzer (loaded through SCHEMATHESIS_HOOKS=bench.fuzz_hooks).

They count every answer and keep the first server errors with what was sent, written as JSON to the
file named by HANGCHO_FUZZ_COUNTS when schemathesis exits; and they keep the fuzzer from ending its
own session (resetting its own password, changing its own account, logging out), which would turn the
rest of the run into 401s.
"""
from __future__ import annotations

import atexit
import json
import os
import threading
from collections import Counter
from typing import Any

import schemathesis

OWN_STAFF_ID = os.environ.get("HANGCHO_FUZZ_OWN_STAFF_ID", "")
KEPT_ERRORS = 50

_lock = threading.Lock()
_statuses: Counter[int] = Counter()
_server_errors: list[dict[str, Any]] = []


@schemathesis.hook
def filter_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> bool:
    """Never act on the fuzzer's own staff account."""
    if not OWN_STAFF_ID or not path_parameters or context.operation is None:
        return True
    return not ("/admin/staff/" in context.operation.path and str(path_parameters.get("staff_id")) == OWN_STAFF_ID)


@schemathesis.hook
def after_call(context: Any, case: Any, response: Any) -> None:
    with _lock:
        _statuses[response.status_code] += 1
        if response.status_code >= 500 and len(_server_errors) < KEPT_ERRORS:
            request = response.request
            body = request.body
            if isinstance(body, bytes):
                body = body[:2000].decode("utf-8", "replace")
            _server_errors.append({"method": request.method, "url": request.url, "status": response.status_code,
                                   "body": body if body is None else str(body)[:2000],
                                   "content_type": request.headers.get("Content-Type")})


def _write() -> None:
    path = os.environ.get("HANGCHO_FUZZ_COUNTS")
    if not path:
        return
    with _lock:
        report = {"statuses": {str(status): count for status, count in sorted(_statuses.items())},
                  "server_errors": _server_errors}
    with open(path, "w", encoding="utf-8") as output:
        json.dump(report, output, ensure_ascii=False, indent=1)


atexit.register(_write)
