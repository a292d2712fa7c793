#!/usr/bin/env bash
# Regenerates the loopback test server's self-signed certificate (a private CA
# of its own, as an internal GPU box might have). Valid for 100 years.
set -euo pipefail
cd "$(dirname "$0")"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 36500 \
    -keyout key.pem -out cert.pem -subj "/CN=desk test server" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -addext "basicConstraints=critical,CA:FALSE" -addext "extendedKeyUsage=serverAuth"
