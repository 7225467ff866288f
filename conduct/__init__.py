"""conduct: Code of Conduct complaints handled as durable Temporal workflows.

This package is the domain: vocabulary, models, the procedure's rules, the working-day
calendar and the roster. It does no I/O at import time so the workflow sandbox can pass it
through.
"""
