"""Benchmark harness for tapster: fixture WSGI apps and a runner that measures peers."""
