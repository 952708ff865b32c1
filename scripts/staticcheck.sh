#!/usr/bin/env bash
# Prints the path of staticcheck at the pinned version, installing it through the Go module proxy
# on first use. Pinned so that every machine reports the same findings (the Makefile's `lint`).
set -euo pipefail
version=v0.8.2 # staticcheck 2026.2.2
bin="$(go env GOPATH)/bin/staticcheck"
if [ ! -x "$bin" ] || ! "$bin" -version | grep -q "(${version#v})"; then
  echo "staticcheck: installing honnef.co/go/tools/cmd/staticcheck@$version" >&2
  go install "honnef.co/go/tools/cmd/staticcheck@$version" >&2
fi
echo "$bin"
