"""The client's address, the same way everywhere (lockout, rate limits, audit, session list)."""

import ipaddress

from django.conf import settings


def client_ip(request):
    """The address PROXY_COUNT proxies in front of the portal saw, else REMOTE_ADDR.

    With nginx in front (PROXY_COUNT=1) the last X-Forwarded-For entry is the one nginx added;
    anything left of it was sent by the client and cannot be trusted.
    """
    address = None
    proxies = getattr(settings, "PROXY_COUNT", 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies > 0 and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= proxies:
            address = hops[-proxies]
    address = address or request.META.get("REMOTE_ADDR")
    try:
        return str(ipaddress.ip_address(address)) if address else None
    except ValueError:
        return None


def user_agent(request, limit=300):
    return request.META.get("HTTP_USER_AGENT", "")[:limit]
