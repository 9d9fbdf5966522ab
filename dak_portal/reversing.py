"""``reverse()`` for URL names without arguments, remembered per process.

A page reverses the same fixed addresses (the navigation, the case list's own address for its
sort, page and back links) on every request, and each ``reverse()`` of a namespaced name costs
15–25 µs: on the case list, about 0.4 ms a request. The address of a name without arguments
only changes with the URLconf or the script prefix (the portal mounted below a path), so both
are part of the key, and the remembered addresses are dropped whenever Django drops its own URL
caches (a test overriding ROOT_URLCONF).
"""

from functools import lru_cache

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, get_urlconf, reverse

# Far more than the portal has names; a bound, so an unexpected key can never grow it.
_MAX_NAMES = 512


def fixed_url(name):
    """The path of the URL name ``name``, which takes no arguments (as ``reverse(name)``)."""
    return _fixed_url(name, get_urlconf(), get_script_prefix())


@lru_cache(maxsize=_MAX_NAMES)
def _fixed_url(name, urlconf, prefix):
    return reverse(name, urlconf=urlconf)


@receiver(setting_changed)
def _urlconf_changed(*, setting, **kwargs):
    if setting == "ROOT_URLCONF":
        _fixed_url.cache_clear()
