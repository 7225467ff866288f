"""The codec endpoint for the Temporal UI: decodes complaint payloads for authorised officers.

`tokens` mints and checks officers' personal codec tokens, `protocol` is Temporal's remote codec
JSON, `access` decides who may read case data, `pages` is the sign-in page, `app` wires them into
a FastAPI app and `run` serves it (`conduct codec`, `conduct codec-token`, and inside `conduct dev`).
Nothing here is imported at CLI start-up.
"""
