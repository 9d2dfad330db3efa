"""Measuring and seeding for benchmarks and tests; nothing here runs in production."""
