#!/usr/bin/env bash
# `make test-compat`: the schema and every query the read layer sends, on ClickHouse 18.16 (the
# private server of `make test`) and on a current release (chdb: ClickHouse in a library, driven
# from Go through chdb-go without cgo), compared result by result.
#
# libchdb.so comes from the npm package @chdb/lib-linux-x64-gnu (about 530 MB), installed once
# into ./var/chdb and reused; CHDB_LIB_PATH tells chdb-go where it is. The version is pinned here
# and the deploy files pin the ClickHouse release it contains (README: "Current ClickHouse").
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${REKKEVIDDE_CHDB_DIR:-$root/var/chdb}"
version="${REKKEVIDDE_CHDB_VERSION:-26.5.3}"
lib="$dir/node_modules/@chdb/lib-linux-x64-gnu/libchdb.so"

installed_version() {
  sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$dir/node_modules/@chdb/lib-linux-x64-gnu/package.json" 2>/dev/null | head -1
}

if [ ! -f "$lib" ] || [ "$(installed_version)" != "$version" ]; then
  command -v npm >/dev/null 2>&1 || { echo "compat: npm is needed to fetch libchdb.so (apt-get install npm)" >&2; exit 1; }
  echo "compat: fetching @chdb/lib-linux-x64-gnu@$version into $dir (once; about 530 MB)" >&2
  mkdir -p "$dir"
  [ -f "$root/var/go.mod" ] || printf '// Local data, not code: keeps ./... patterns out of this folder.\nmodule local/var\n' >"$root/var/go.mod"
  (cd "$dir" && npm install --no-audit --no-fund --no-save --loglevel=error "@chdb/lib-linux-x64-gnu@$version" >&2)
fi

export CHDB_LIB_PATH="$lib"
export REKKEVIDDE_TEST_CLICKHOUSE_HTTP="127.0.0.1:${REKKEVIDDE_CH_HTTP_PORT:-18123}"
exec go test -tags compat -count=1 -v -timeout 10m -run 'TestCompat' ./internal/compat/
