#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests if it is missing, and prints its path.
# The tests find it through REKKEVIDDE_CHROMIUM (the Makefile sets it from this script).
set -euo pipefail
for candidate in "${REKKEVIDDE_CHROMIUM:-}" /usr/bin/chromium /usr/bin/chromium-browser; do
  if [ -n "$candidate" ] && [ -x "$candidate" ]; then
    echo "$candidate"
    exit 0
  fi
done
echo "chromium: installing Debian's chromium for the browser tests" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >&2
echo /usr/bin/chromium
