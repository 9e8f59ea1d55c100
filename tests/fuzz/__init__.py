"""Property-based hostile input (issue 17): hypothesis drives every endpoint, helper and parser.

``make test`` runs a few examples per property (tests/fuzz/conftest.py);
``make fuzz`` (``PROAUTH2_FUZZ_EXAMPLES``) many; ``PROAUTH2_FUZZ_REPORT=<path>``
writes the inputs tried per endpoint and what they were answered, as JSON.
The properties are in :mod:`tests.fuzz.checks`, the strategies in
:mod:`tests.fuzz.strategies` and :mod:`tests.fuzz.pieces`, the fuzzed server in
:mod:`tests.fuzz.world`; test_checks.py proves the checks catch what they claim to.
"""
