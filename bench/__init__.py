"""The benchmark harness behind ``make bench``: see ``bench/README.md``.

``python -m bench.run`` starts a throwaway PostGIS, loads generated events and measures the
goals of the performance issue, each against its baseline measured in the same run.
"""
