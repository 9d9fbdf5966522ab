"""Who acts, and from where: what services need of a request, without the request.

Services take ``actor=`` (keyword-only) instead of ``request`` so that the shell, management
commands and views call them the same way. ``Actor.from_request`` is the one place that reads
the acting user, address and user agent off a request.
"""

from dataclasses import dataclass

from accounts.net import client_ip, user_agent

COMMAND_LINE_LABEL = "Kommandozeile"


@dataclass(frozen=True)
class Actor:
    user: object = None  # accounts.User or None (command line without --user, system)
    ip: str | None = None
    user_agent: str = ""
    # A request to build absolute links from (invitations, notification mails); None outside one.
    request: object = None

    @classmethod
    def from_request(cls, request):
        user = getattr(request, "user", None)
        if user is not None and not user.is_authenticated:
            user = None
        return cls(
            user=user, ip=client_ip(request), user_agent=user_agent(request), request=request
        )

    @classmethod
    def command_line(cls, user=None):
        return cls(user=user)

    @property
    def label(self):
        """How the actor appears on import logs and the like."""
        return self.user.email if self.user is not None else COMMAND_LINE_LABEL


def as_actor(actor=None, *, user=None, request=None):
    """Normalise the older (user, request) pair into an Actor; an Actor passes through."""
    if actor is not None:
        return actor
    if request is not None:
        found = Actor.from_request(request)
        return Actor(
            user=user or found.user, ip=found.ip, user_agent=found.user_agent, request=request
        )
    return Actor(user=user)
