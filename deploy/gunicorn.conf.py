"""gunicorn settings of the portal:

    python -m gunicorn -c deploy/gunicorn.conf.py dak_portal.wsgi

(the benchmarks start it so, bench/http.py); worker count, address and logs come from the
command line.

Each worker freezes the objects it holds once Django and the URLconf are loaded: modules,
models, settings, URL patterns (~130,000 objects) never become garbage, and frozen, Python's
cyclic garbage collector no longer walks them. Without that a full collection took ~50 ms in a
worker, a pause every few hundred requests that the requests in flight waited out (visible in
p99); frozen, ~2 ms (docs/decisions.md, "Page speed under load").
"""

import gc


def post_worker_init(worker):
    from django.urls import get_resolver

    # The URLconf imports every view module; loaded here, it is frozen with the rest.
    get_resolver().url_patterns  # noqa: B018
    gc.freeze()
