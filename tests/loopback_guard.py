"""Keeps tests and benchmarks on this machine: connections and name lookups beyond loopback are refused and recorded.

The test suite runs behind pytest-socket (`--allow-hosts=127.0.0.1,::1` in pyproject's addopts), which refuses
`socket.connect` to anything else. This guard adds what pytest-socket leaves open, and is what the benchmarks that
serve pages locally install on their own:
- name lookups (`getaddrinfo`, `gethostbyname`) of any name but loopback's and this machine's own fail as they would
  on a machine with no network (a DNS query is a packet beyond this machine); address literals need no lookup;
- `connect_ex` to a non-loopback address fails with ENETUNREACH;
- every refused attempt is recorded, so a test whose code swallowed the error (a fetch failure turned into a report)
  still fails, and a refusal test can assert that nothing was attempted at all.
It guards this process only: child processes (the `newsmon` command, Prefect's server) must be given loopback targets.
"""

from __future__ import annotations

import errno
import ipaddress
import socket
from collections.abc import Callable
from typing import Any

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
_OWN_NAME = socket.gethostname().lower()


class OutsideConnectionBlocked(RuntimeError):
    """A connection beyond loopback was attempted while the guard was on (not an OSError, so no retry loop eats it)."""


def is_loopback_host(host: object) -> bool:
    """Whether `host` (an address literal or a name, as given to connect or getaddrinfo) stays on this machine."""
    if host is None:  # getaddrinfo(None, port): the local wildcard, used to bind
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    name = host.strip("[]").split("%", 1)[0].lower().rstrip(".")
    # The machine's own name is this machine (tests resolve it to check internal-name refusal).
    if name in LOOPBACK_NAMES or name.endswith(".localhost") or name in ("", "0.0.0.0", "::", _OWN_NAME):
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_loopback


def _is_address_literal(host: object) -> bool:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    try:
        ipaddress.ip_address(str(host).strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    return True


def _target(sock: socket.socket, address: Any) -> str | None:
    """`address` as text when it leaves this machine, else None (Unix sockets and loopback stay)."""
    if getattr(socket, "AF_UNIX", None) is not None and sock.family == socket.AF_UNIX:
        return None
    host = address[0] if isinstance(address, tuple) and address else address
    if is_loopback_host(host):
        return None
    return f"connect {address!r}"


def install(attempts: list[str] | None = None, *, block_connect: bool = True) -> Callable[[], None]:
    """Turn the guard on; returns the function that turns it off again. Refused attempts are appended to `attempts`.

    `block_connect=False` records `connect` attempts and hands them on to whatever `socket.socket.connect` was
    (pytest-socket's guard refuses them there); the benchmarks pass True, so this guard refuses them itself.
    """
    record = attempts if attempts is not None else []
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo
    real_gethostbyname = socket.gethostbyname
    real_gethostbyname_ex = socket.gethostbyname_ex

    def connect(sock: socket.socket, address: Any) -> None:
        target = _target(sock, address)
        if target is not None:
            record.append(target)
            if block_connect:
                raise OutsideConnectionBlocked(f"{target}: only loopback may be reached here")
        return real_connect(sock, address)

    def connect_ex(sock: socket.socket, address: Any) -> int:
        target = _target(sock, address)
        if target is not None:
            record.append(target)
            return errno.ENETUNREACH
        return real_connect_ex(sock, address)

    def refuse_lookup(host: object) -> None:
        # An address literal is "looked up" without asking anyone; only names go to a resolver.
        if not is_loopback_host(host) and not _is_address_literal(host):
            record.append(f"lookup {host!r}")
            raise socket.gaierror(socket.EAI_NONAME, f"name lookup of {host!r} blocked: only loopback here")

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        refuse_lookup(host)
        return real_getaddrinfo(host, *args, **kwargs)

    def gethostbyname(host: str) -> str:
        refuse_lookup(host)
        return real_gethostbyname(host)

    def gethostbyname_ex(host: str) -> Any:
        refuse_lookup(host)
        return real_gethostbyname_ex(host)

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = getaddrinfo  # type: ignore[assignment]
    socket.gethostbyname = gethostbyname
    socket.gethostbyname_ex = gethostbyname_ex

    def uninstall() -> None:
        # pytest-socket puts its own connect back at teardown; only what is still ours is restored.
        if socket.socket.connect is connect:
            socket.socket.connect = real_connect  # type: ignore[method-assign]
        if socket.socket.connect_ex is connect_ex:
            socket.socket.connect_ex = real_connect_ex  # type: ignore[method-assign]
        if socket.getaddrinfo is getaddrinfo:
            socket.getaddrinfo = real_getaddrinfo
        if socket.gethostbyname is gethostbyname:
            socket.gethostbyname = real_gethostbyname
        if socket.gethostbyname_ex is gethostbyname_ex:
            socket.gethostbyname_ex = real_gethostbyname_ex

    return uninstall
