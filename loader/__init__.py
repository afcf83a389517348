"""bukamal-kg: an evidence-grounded knowledge graph of the Imam Ali military base near Abu Kamal.

The package is the library; the ``bukamal`` command (``loader.cli``) and the HTTP server
(``loader.server``) are thin layers over it.
"""

__version__ = "0.1.0"
