"""A Slack-like webhook receiver on 127.0.0.1 for the alert delivery tests.

Failures are scripted per attempt (`responses`: status codes, with Retry-After for 429),
and a receiver can `hold` its answers until the test releases them: a client that times
out does so because the receiver never answered, not because of a race between two
clocks.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class WebhookServer:
    """Records bodies; answers the n-th attempt with responses[n] (default 200)."""

    responses: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    requests: list[dict] = field(default_factory=list)
    arrived: list[str] = field(default_factory=list)
    attempts: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    holding: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)

    def fail_first(self, count: int, status: int = 500) -> None:
        self.responses = [(status, {})] * count

    def hold(self) -> None:
        """Answer nothing until release() (the client's timeout fires first)."""
        self.released.clear()
        self.holding.set()

    def release(self) -> None:
        self.holding.clear()
        self.released.set()

    def start(self) -> str:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server API)
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with server.lock:
                    index = server.attempts
                    server.attempts += 1
                    server.arrived.append(json.loads(body)["alert"]["alert_id"])
                    status, headers = server.responses[index] if index < len(server.responses) else (200, {})
                if server.holding.is_set():
                    server.released.wait(timeout=60)
                if status < 300:
                    with server.lock:
                        server.requests.append(json.loads(body))
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(b"ok" if status < 300 else b"no")
                except OSError:
                    pass  # the client gave up waiting (timeout test)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/hooks/T000/B000/secret"

    def stop(self) -> None:
        self.release()
        self._httpd.shutdown()
        self._httpd.server_close()

    def alert_ids(self) -> list[str]:
        with self.lock:
            return [request["alert"]["alert_id"] for request in self.requests]
