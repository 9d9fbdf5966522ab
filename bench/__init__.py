"""Benchmarks of the portal against MariaDB (`make bench`, `python -m bench.run`).

bench/generate.py fills a database with synthetic cases, bench/run.py runs the benchmarks
registered in bench/benchmarks/ and writes docs/benchmarks.md.
"""
