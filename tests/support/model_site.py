"""A local stand-in for the Vosk model site on 127.0.0.1: ``model-list.json`` and
``<name>.zip`` archives, with HTTP range requests (for resuming), and on request a
connection cut after some bytes (an interrupted download)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class ModelSite:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.cut_after: int | None = None  # the next archive response stops after this
        self.ranges: list[str | None] = []  # the Range header of each archive request
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                return None

            def do_GET(self) -> None:  # noqa: N802
                path = site.root / self.path.lstrip("/")
                if not path.is_file() or ".." in self.path:
                    self.send_error(404)
                    return
                size = path.stat().st_size
                start = 0
                rng = self.headers.get("Range")
                if path.suffix == ".zip":
                    site.ranges.append(rng)
                if rng:
                    start = int(rng.split("=")[1].split("-")[0])
                    if start >= size:
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{size}")
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
                else:
                    self.send_response(200)
                self.send_header("Content-Length", str(size - start))
                self.send_header("Accept-Ranges", "bytes")
                self.end_headers()
                limit = size - start
                if path.suffix == ".zip" and site.cut_after is not None:
                    limit, site.cut_after = min(limit, site.cut_after), None
                with open(path, "rb") as f:
                    f.seek(start)
                    sent = 0
                    while sent < limit:
                        block = f.read(min(1 << 20, limit - sent))
                        if not block:
                            break
                        self.wfile.write(block)
                        sent += len(block)
                if sent < size - start:
                    self.wfile.flush()
                    self.connection.shutdown(2)  # the line drops mid-download

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/vosk/models"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def publish(self, entries: list[dict]) -> None:
        (archive_dir(self.root) / "model-list.json").write_text(json.dumps(entries))

    def __enter__(self) -> ModelSite:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def archive_dir(root: Path) -> Path:
    d = root / "vosk" / "models"
    d.mkdir(parents=True, exist_ok=True)
    return d


__all__ = ["ModelSite", "archive_dir"]
