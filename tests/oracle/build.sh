#!/usr/bin/env bash
# Build podeval's Go differential oracles: tests/oracle/bin/mergo-oracle (mergo) and
# tests/oracle/bin/strconv-oracle (the standard library's scalar conversions).
#
# Offline and idempotent. Needs only Debian packages:
#   apt-get install -y golang-go golang-github-imdario-mergo-dev
# It builds in GOPATH mode (GO111MODULE=off) against the mergo source that
# the Debian package puts under /usr/share/gocode/src, with GOPROXY=off, so
# no module is ever downloaded. The Go build cache lives inside bin/ (which
# is gitignored) so the build does not depend on $HOME.
#
# Environment overrides: GO (go binary), ORACLE_GOPATH (default
# /usr/share/gocode).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out_dir="$here/bin"
out="$out_dir/mergo-oracle"
gopath="${ORACLE_GOPATH:-/usr/share/gocode}"
go_bin="${GO:-go}"
install_hint="install them with: apt-get install -y golang-go golang-github-imdario-mergo-dev"

if ! command -v "$go_bin" >/dev/null 2>&1; then
    echo "mergo-oracle build: FAILED: Go toolchain ('$go_bin') not found; $install_hint" >&2
    exit 1
fi
if [ ! -f "$gopath/src/github.com/imdario/mergo/merge.go" ]; then
    echo "mergo-oracle build: FAILED: mergo source not found under $gopath/src/github.com/imdario/mergo; $install_hint" >&2
    exit 1
fi

mkdir -p "$out_dir"

export GO111MODULE=off
export GOPATH="$gopath"
export GOFLAGS=""
export GOPROXY=off
export GOSUMDB=off
export GOTOOLCHAIN=local
export CGO_ENABLED=0
export GOCACHE="$out_dir/.gocache"

cd "$here"
tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
if ! "$go_bin" build -trimpath -o "$tmp" ./mergo_oracle; then
    echo "mergo-oracle build: FAILED: go build returned an error (see above)" >&2
    exit 1
fi
mv -f "$tmp" "$out"
trap - EXIT

# the strconv oracle: standard library only (Go's scalar conversions, for the option-decoding tests)
strconv_out="$out_dir/strconv-oracle"
if ! "$go_bin" build -trimpath -o "$strconv_out" ./strconv_oracle; then
    echo "strconv-oracle build: FAILED: go build returned an error (see above)" >&2
    exit 1
fi

go_version="$("$go_bin" env GOVERSION 2>/dev/null || "$go_bin" version)"
mergo_version="$(dpkg-query -W -f='${Version}' golang-github-imdario-mergo-dev 2>/dev/null || echo "unknown (not from dpkg)")"
echo "mergo-oracle build: OK: $out (Go $go_version, mergo $mergo_version from $gopath, GOPATH mode, offline)"
