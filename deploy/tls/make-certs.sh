#!/bin/sh
# The certificates for mTLS between Temporal and the conduct servers in docker-compose.yml:
# a private CA, a server certificate for `temporal` and one client certificate per service that
# talks to Temporal. Only openssl; nothing is downloaded.
#
#   deploy/tls/make-certs.sh [--out DIR] [--days N] [--new-ca] [--force] [NAME...]
#
# DIR (default deploy/tls/certs, next to this script) gets:
#   ca/ca.key, ca/ca.pem        the CA; ca.key never leaves this directory (no container mounts it)
#   NAME/tls.key, NAME/tls.pem  each certificate and its key, with NAME/ca.pem to check the other end
# for NAME in: temporal (the server) and the clients worker, web, api, ui, admin-tools.
# `docker compose up` copies each NAME/ into that service's own volume (the tls-setup service).
#
# Every file is created 0600 and every directory 0700 (umask 077 before anything is written).
# Whoever holds a client key and can reach Temporal can read every case's history and terminate
# it, so give one to a server only (README "mTLS to Temporal").
#
# Re-running re-issues the certificates named (default: all) under the same CA, so only their
# services restart. A certificate cannot be withdrawn while its CA is trusted: after a key is
# lost, run with --new-ca and restart everything.
set -eu
umask 077

HERE=$(cd "$(dirname "$0")" && pwd)
OUT="$HERE/certs"
DAYS=825
CA_DAYS=3650
NEW_CA=false
FORCE=false
SERVER=temporal
CLIENTS="worker web api ui admin-tools"

usage() {
    echo "usage: $0 [--out DIR] [--days N] [--new-ca] [--force] [temporal|worker|web|api|ui|admin-tools ...]" >&2
    exit 2
}

NAMES=""
while [ $# -gt 0 ]; do
    case "$1" in
        --out) [ $# -ge 2 ] || usage; OUT=$2; shift 2 ;;
        --days) [ $# -ge 2 ] || usage; DAYS=$2; shift 2 ;;
        --new-ca) NEW_CA=true; shift ;;
        --force) FORCE=true; shift ;;
        -h|--help) usage ;;
        -*) echo "$0: unknown option $1" >&2; usage ;;
        *)
            case " $SERVER $CLIENTS " in
                *" $1 "*) NAMES="$NAMES $1" ;;
                *) echo "$0: no certificate is made for '$1' (one of: $SERVER $CLIENTS)" >&2; exit 2 ;;
            esac
            shift ;;
    esac
done
case "$DAYS" in
    ''|*[!0-9]*) echo "$0: --days takes a whole number of days, not '$DAYS'" >&2; exit 2 ;;
esac
[ "$DAYS" -ge 1 ] || { echo "$0: --days must be at least 1" >&2; exit 2; }
[ -n "$NAMES" ] || NAMES="$SERVER $CLIENTS"
command -v openssl >/dev/null 2>&1 || { echo "$0: openssl is needed (apt-get install openssl)" >&2; exit 1; }

mkdir -p "$OUT"
chmod 0700 "$OUT"  # it may have existed already with a wider mode
WORK=$(mktemp -d "$OUT/.work.XXXXXX")
trap 'rm -rf "$WORK"' EXIT INT TERM

new_key() {
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null
}

# --- the CA
if [ -f "$OUT/ca/ca.key" ] && [ "$NEW_CA" = false ]; then
    echo "CA: keeping $OUT/ca/ca.pem (--new-ca replaces it)"
else
    if [ -f "$OUT/ca/ca.key" ] && [ "$FORCE" = false ]; then
        echo "$0: --new-ca replaces the CA every service trusts: every certificate is re-issued and every" >&2
        echo "service must restart. Add --force to go ahead." >&2
        exit 2
    fi
    mkdir -p "$OUT/ca"
    new_key "$WORK/ca.key"
    cat > "$WORK/ca.ext" <<'EOF'
[req]
distinguished_name = dn
[dn]
[ca]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
EOF
    openssl req -new -x509 -key "$WORK/ca.key" -sha256 -days "$CA_DAYS" -subj "/O=conduct/CN=conduct Temporal CA" \
        -config "$WORK/ca.ext" -extensions ca -out "$WORK/ca.pem"
    mv "$WORK/ca.key" "$OUT/ca/ca.key"
    mv "$WORK/ca.pem" "$OUT/ca/ca.pem"
    NAMES="$SERVER $CLIENTS"  # the old CA's certificates are no longer trusted
    echo "CA: new $OUT/ca/ca.pem"
fi

# --- one certificate
issue() {
    name=$1
    if [ "$name" = "$SERVER" ]; then
        # The frontend and internode TLS of the auto-setup image present this one; the server's own
        # components (its system worker, its CLI) also present it as a client, hence clientAuth.
        usage_ext="serverAuth, clientAuth"
        san="subjectAltName = DNS:temporal, DNS:localhost, IP:127.0.0.1"
    else
        usage_ext="clientAuth"
        san=""
    fi
    cat > "$WORK/$name.ext" <<EOF
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = $usage_ext
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
$san
EOF
    new_key "$WORK/$name.key"
    openssl req -new -key "$WORK/$name.key" -subj "/O=conduct/CN=conduct-$name" -out "$WORK/$name.csr"
    openssl x509 -req -in "$WORK/$name.csr" -CA "$OUT/ca/ca.pem" -CAkey "$OUT/ca/ca.key" -CAcreateserial \
        -CAserial "$OUT/ca/ca.srl" -days "$DAYS" -sha256 -extfile "$WORK/$name.ext" -out "$WORK/$name.pem" 2>/dev/null
    cp "$OUT/ca/ca.pem" "$WORK/$name.ca.pem"
    mkdir -p "$OUT/$name"
    mv "$WORK/$name.key" "$OUT/$name/tls.key"
    mv "$WORK/$name.pem" "$OUT/$name/tls.pem"
    mv "$WORK/$name.ca.pem" "$OUT/$name/ca.pem"
    echo "$name: $OUT/$name/tls.pem (valid $DAYS days)"
}

for name in $NAMES; do
    issue "$name"
done
echo "Next: docker compose up -d (the tls-setup service hands each service its own directory)."
