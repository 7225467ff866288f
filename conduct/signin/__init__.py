"""Officers sign in with OpenID Connect; a verified token names a roster officer.

- conduct.signin.bearer: `trust(settings)`, the issuer this installation trusts
  (CONDUCT_OIDC_ISSUER, or the development issuer in DATA_DIR when it is unset) with a verifier
  for its tokens; and `authenticate(token, roster, verifier, audit_dir)`, what the officers' API
  calls for each bearer token: the officer on the roster in force, or SignInRefused. Audited.
- conduct.signin.session: what `conduct login`, `logout` and identity resolution do with cached tokens.
- verify (joserfc, discovery, JWKS cache), dev_issuer, device (RFC 8628), token_cache, roster_login.

This package's root imports nothing, so `--as` (which needs only config) stays cheap to start.
"""
