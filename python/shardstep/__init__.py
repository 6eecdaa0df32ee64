"""shardstep from Python: helpers that a Python client of the API builds on."""
