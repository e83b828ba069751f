#!/bin/bash
# The README, the man pages and the binary agree: every documented `lading ...`
# example uses a real command, verb and options (per the verb's --help), and
# every option of every verb is documented in its command's man page.
# scripts/check-docs prints the TAP.
TOP=$(cd "$(dirname "$0")/.." && pwd)
exec python3 "$TOP/scripts/check-docs" "${LADING:-$TOP/lading}" "$TOP"
