"""Whose address a request comes from, for rate limits, upload quotas and audit lines (the web
app, its API and the codec endpoint).

The peer's own address, unless the peer is one of our reverse proxies (CONDUCT_TRUSTED_PROXIES,
IPs or CIDRs, default none). Only then is X-Forwarded-For read, from the right: each entry was
appended by the hop before it, so entries are skipped while they are trusted proxies too, and the
first one that is not is the client. Entries further left are whatever the client chose to send.

uvicorn must not rewrite the peer itself (its `proxy_headers` trusts 127.0.0.1 by default): every
place that runs one of our apps passes `proxy_headers=False` (see `UVICORN_OPTIONS`).
"""

from __future__ import annotations

from collections.abc import Iterable
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# Keyword arguments for uvicorn.Config / uvicorn.run wherever one of our apps is served.
UVICORN_OPTIONS: dict[str, Any] = {"proxy_headers": False, "server_header": False}
_ENTRY_MAX = 64


def parse_networks(value: str | Iterable[str]) -> tuple[IPv4Network | IPv6Network, ...]:
    """`10.0.0.1, 192.168.0.0/16, ::1` as networks; ValueError naming the first entry that is neither."""
    items = value.split(",") if isinstance(value, str) else list(value)
    networks = []
    for item in (i.strip() for i in items):
        if not item:
            continue
        try:
            networks.append(ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"{item!r} in CONDUCT_TRUSTED_PROXIES is not an IP address or CIDR network") from None
    return tuple(networks)


def _address(entry: str) -> IPv4Address | IPv6Address | None:
    """An X-Forwarded-For entry as an address: `1.2.3.4`, `1.2.3.4:5678`, `::1` or `[::1]:5678`."""
    entry = entry.strip()
    if entry.startswith("["):
        entry = entry[1:].partition("]")[0]
    elif entry.count(":") == 1:
        entry = entry.partition(":")[0]
    try:
        return ip_address(entry)
    except ValueError:
        return None


class ProxyTrust(BaseModel):
    """Which peers may tell us, in X-Forwarded-For, whom they forward for."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    networks: tuple[IPv4Network | IPv6Network, ...] = ()
    trust_peer: bool = Field(
        default=False, description="deprecated CONDUCT_TRUST_FORWARDED_FOR=true: the immediate peer is a proxy"
    )

    @classmethod
    def parse(cls, proxies: str | Iterable[str] = "", trust_peer: bool = False) -> ProxyTrust:
        return cls(networks=parse_networks(proxies), trust_peer=trust_peer)

    def trusted(self, address: IPv4Address | IPv6Address | None) -> bool:
        return address is not None and any(address in network for network in self.networks)

    def client(self, scope: dict[str, Any]) -> str:
        """The client's address for an ASGI `scope`; "unknown" when the server gave no peer."""
        peer = scope.get("client")
        peer_host = str(peer[0]) if peer else "unknown"
        if not (self.trust_peer or self.trusted(_address(peer_host))):
            return peer_host
        entries = [
            entry.strip()
            for name, value in scope.get("headers", [])
            if name == b"x-forwarded-for"
            for entry in value.decode("latin-1").split(",")
        ]
        entries = [e for e in entries if e]
        for entry in reversed(entries):
            if not self.trusted(_address(entry)):
                return entry[:_ENTRY_MAX]
        # every hop was one of ours (or no header): the leftmost hop is as far as we can see
        return entries[0][:_ENTRY_MAX] if entries else peer_host


class ProxySettings(BaseSettings):
    """The two environment variables, for the apps that have no config class of their own (the codec)."""

    model_config = SettingsConfigDict(env_prefix="CONDUCT_", env_file=".env", extra="ignore")

    trusted_proxies: str = Field(default="", description="reverse proxies whose X-Forwarded-For is believed")
    trust_forwarded_for: bool = Field(default=False, description="deprecated: trust the immediate peer")

    def trust(self) -> ProxyTrust:
        return ProxyTrust.parse(self.trusted_proxies, self.trust_forwarded_for)
