"""Benchmarks (not part of the installed package): ``python -m bench.load``, see bench/README.md."""
