"""Products: each command's whole file set, written by one function.

``publish_run`` (run, demo, map), ``answer_inquiry``, ``write_sensitivity`` and
``write_compare``: the CLI parses options and calls one of them; the same call from Python
gives the same files.
"""
