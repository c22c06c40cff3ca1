"""Tests of tapster.demo: through the test client, over real sockets, in a real browser."""
