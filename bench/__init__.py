"""Benchmarks and their baselines (the only place pyplot may be imported)."""
