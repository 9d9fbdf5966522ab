"""The notification bell, its menu and the notification page."""

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from accounts import notifications
from accounts.models import Notification
from accounts.permissions import LOGGED_IN, requires
from accounts.sessions import background

MENU_SIZE = 8


@requires(LOGGED_IN)
@require_GET
def notification_list(request):
    items = Notification.objects.filter(recipient=request.user)
    only_unread = request.GET.get("ungelesen") == "1"
    if only_unread:
        items = items.filter(read=False)
    page = Paginator(items, 25).get_page(request.GET.get("seite"))
    return render(
        request,
        "accounts/notification_list.html",
        {"page": page, "only_unread": only_unread},
    )


@background
@requires(LOGGED_IN)
@require_GET
@never_cache
def notification_badge(request):
    """Polled every 30 seconds by the bell; does not count as activity for the idle timeout.
    The badge is the one the navigation bar shows (Jinja2: no context processors run, so the
    count is the one query of this answer)."""
    return render(
        request,
        "accounts/notification_badge.jinja",
        {"unread_notifications": notifications.unread_count(request.user)},
    )


@requires(LOGGED_IN)
@require_GET
@never_cache
def notification_menu(request):
    items = Notification.objects.filter(recipient=request.user)[:MENU_SIZE]
    # The unread count: the context processor, as for the badge.
    return render(request, "partials/notification_menu.html", {"items": items})


@requires(LOGGED_IN)
@require_POST
def notification_open(request, pk):
    """Mark as read and go to the object it is about."""
    item = get_object_or_404(Notification, pk=pk, recipient=request.user)
    notifications.mark_read(item)
    target = item.link
    if not target or not url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        target = "konto:notification_list"
    return redirect(target)


@requires(LOGGED_IN)
@require_POST
def notification_read_all(request):
    notifications.mark_all_read(request.user)
    if request.htmx:
        response = render(
            request,
            "partials/notification_menu.html",
            {
                "items": Notification.objects.filter(recipient=request.user)[:MENU_SIZE],
                "unread_notifications": 0,
            },
        )
        # The bell's counter listens for this and refreshes at once.
        return trigger_client_event(response, "notificationsRead")
    return redirect("konto:notification_list")
