"""The HTTP layer: a SPARQL 1.1 Protocol endpoint, saved queries over HTTP and a web query page.

A thin layer over the library: :mod:`loader.store` for the data, :mod:`loader.registry` /
:mod:`loader.params` / :mod:`loader.saved` for saved queries. Queries run in worker processes
(:mod:`loader.server.workers`) so that a deadline really stops them. Worker processes import only
the modules they need (never starlette), so this package imports nothing at load time.
"""


def create_app(settings):
    """The ASGI application for ``settings`` (:class:`loader.server.settings.Settings`)."""
    from .app import create_app as _create_app

    return _create_app(settings)
