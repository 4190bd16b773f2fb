"""Benchmarks: sessions-plus against the SDKs' own sessions and the bare client floor.

Run ``python -m benchmarks --help``. Every implementation of one backend runs in one process
against one server, in alternating rounds, so drift hits all of them equally.
"""
