"""Per-backend pytest plugins.

Each module here (not starting with ``_``) is loaded as a pytest plugin and declares
``BACKENDS = {"backend-id": "fixture_name"}`` (and ``PROCESS_LOCAL = {...}`` for backends that
other processes cannot open). The named fixture returns a
:class:`tests.backends._factory.StoreFactory`; the shared ``store_factory`` fixture in
``tests/conftest.py`` is parametrized over every declared backend, so a new backend joins the
conformance suite and the adapter tests by adding one module here; ``cross_process_factory`` is
parametrized over the backends that are not process-local.
"""
