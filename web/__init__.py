"""The web console: pages people use in a browser, served by the same service as the API.

``web/`` holds the page routes, their Jinja2 templates and their static files (scripts,
styles; no outside request: nothing from a CDN). It depends on ``gridsvc`` and on
``api.deps`` for the caller, so a page and the API decide rights by the same check; the
pages' own data comes from the ``/v1`` API, called by the browser with the session cookie.
Nothing in ``gridsvc`` or ``api`` imports ``web`` except ``api.app``, which mounts it.
"""
