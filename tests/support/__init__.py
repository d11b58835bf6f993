"""Test doubles shared by the test suites and the benchmarks (a fault-injecting proxy)."""
