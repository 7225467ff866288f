#!/bin/sh
# A new attestation key pair for .env, with openssl only (no Python, no container needed):
#
#   deploy/make-attestation-key.sh >> .env      # then check .env holds each name once
#
# prints
#   CONDUCT_ATTESTATION_KEY=<base64 of the raw Ed25519 private key>       the officers' API only
#   CONDUCT_ATTESTATION_PUBLIC_KEYS=<key id>:<base64 of the public key>   the workers
# The key id is conduct.attestation_keys.key_id: "att-" and the first 16 hex digits of the
# SHA-256 of the raw public key. The workers refuse every officer action the API did not sign
# with this key (conduct/attestation.py).
#
# Rotation: put the new public key in front of the old one in CONDUCT_ATTESTATION_PUBLIC_KEYS
# (comma-separated) and restart the workers; then give the API the new private key and restart
# it; then drop the old public key.
set -eu
umask 077
[ $# -eq 0 ] || { echo "usage: $0   (prints two lines for .env)" >&2; exit 2; }
command -v openssl >/dev/null 2>&1 || { echo "$0: openssl is needed (apt-get install openssl)" >&2; exit 1; }

# PEM text stays in a variable: the private key is never written to a file here.
PEM=$(openssl genpkey -algorithm ed25519)
# Both DER forms end with the 32 raw key bytes (RFC 8410).
PRIVATE=$(printf '%s\n' "$PEM" | openssl pkey -outform DER | tail -c 32 | openssl base64 -A)
PUBLIC=$(printf '%s\n' "$PEM" | openssl pkey -pubout -outform DER | tail -c 32 | openssl base64 -A)
DIGEST=$(printf '%s\n' "$PEM" | openssl pkey -pubout -outform DER | tail -c 32 | openssl dgst -sha256 -r)
KID="att-$(printf '%s' "$DIGEST" | cut -c1-16)"

echo "CONDUCT_ATTESTATION_KEY=$PRIVATE"
echo "CONDUCT_ATTESTATION_PUBLIC_KEYS=$KID:$PUBLIC"
