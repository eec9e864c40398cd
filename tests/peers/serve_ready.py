"""How the Python peers serve: bind the port first (0: any free one), then run the app under
uvicorn and print `READY <base url>` once it serves (the tests wait for that line)."""

from __future__ import annotations

import asyncio
import socket
import sys

import uvicorn


def bind(host: str, port: int, name: str) -> tuple[socket.socket, str]:
    """A socket bound to host:port, and the base URL it serves; exits 2 if it cannot bind."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as e:
        print(f'{name}: cannot bind {host}:{port}: {e}', file=sys.stderr)
        sys.exit(2)
    return sock, f'http://{host}:{sock.getsockname()[1]}'


async def serve_ready(app, sock: socket.socket, base: str, log_level: str) -> None:
    """Serves `app` on `sock`, printing `READY <base>` once it serves."""
    server = uvicorn.Server(uvicorn.Config(app, log_level=log_level, lifespan='on'))

    async def announce() -> None:
        while not server.started:
            await asyncio.sleep(0.02)
        print(f'READY {base}', flush=True)

    t = asyncio.create_task(announce())
    await server.serve(sockets=[sock])
    t.cancel()
