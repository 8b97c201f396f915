"""Refusing URLs that point inward: non-http(s) schemes and hosts resolving to internal addresses."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def origin(url: str) -> str:
    """scheme://host:port of `url`, with the default port filled in, for same-origin comparisons."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or (443 if scheme == "https" else 80)
    return f"{scheme}://{(parts.hostname or '').lower()}:{port}"


def is_internal(address: IPAddress) -> bool:
    """Loopback, private, link-local, shared (CGNAT), multicast, reserved or unspecified addresses."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or (isinstance(address, ipaddress.IPv4Address) and address in ipaddress.ip_network("100.64.0.0/10"))
    )


async def internal_reason(url: str, resolved: dict[str, str | None] | None = None) -> str | None:
    """Why `url` must not be fetched from content we do not control, or None when it may be.

    Checked before every request (and every redirect hop). A name that resolves to several addresses is refused
    if any of them is internal. Resolution failures are left to the request itself to report. `resolved` caches
    the verdict per host name (a fetcher keeps one per run, so 1,000 articles on one site cost one lookup).
    """
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        return f"scheme {parts.scheme!r} is not http or https"
    host = parts.hostname
    if not host:
        return "URL has no host"
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        return f"address {literal} is internal (loopback/private/link-local)" if is_internal(literal) else None
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return f"host {host!r} is loopback"
    if resolved is not None and host in resolved:
        return resolved[host]
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, parts.port or 443, type=socket.SOCK_STREAM)
    except OSError:
        return None
    verdict = None
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if is_internal(address):
            verdict = f"host {host!r} resolves to internal address {address}"
            break
    if resolved is not None:
        resolved[host] = verdict
    return verdict
