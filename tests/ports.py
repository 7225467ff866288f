"""Free loopback ports for the servers tests start (dev server, web app, fakes, PostgreSQL)."""

import socket


def free_ports(n: int) -> list[int]:
    """`n` distinct ports, all held open together while chosen so none repeats."""
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def free_port() -> int:
    return free_ports(1)[0]
