"""Benchmarks at province scale: a synthetic province and the measurements over it."""
