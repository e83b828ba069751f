#!/bin/bash
# The command line itself: help, version, exit codes, man pages lint clean.
. "$(dirname "$0")/test-lib.sh"
plan 5

ok "lading --version prints the version" sh -c "'$LADING' --version | grep -Eq '^lading [0-9]+\.[0-9]+\.[0-9]+$'"
ok "lading --help lists commands and exits 0" sh -c "'$LADING' --help | grep -q '^usage: lading'"
fails_with "unknown command is a usage error (exit 2)" 2 "unknown command 'frobnicate'" "$LADING" frobnicate
fails_with "no command is a usage error (exit 2)" 2 "usage: lading" "$LADING"
ok "man pages lint clean with mandoc" sh -c "cd '$TOP' && mandoc -Tlint -Wwarning man/* && test -n \"\$(ls man)\""
done_testing
