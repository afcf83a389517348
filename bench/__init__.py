"""Benchmarks for bukamal-kg (``make bench``): a seeded synthetic-graph generator and the measurements.

Not part of the ``loader`` library and not run by ``make test``. ``python -m bench.generate`` writes a
synthetic project in the project's ontology; ``python -m bench.reasoning`` times the reasoners.
"""
