# shellcheck shell=bash
# Lookup clients that do not go through glibc's stub resolver, for the stub-* scenarios.
# Sourced after lib.sh. Each builder installs its Debian package if missing (the lab's own needs,
# not the tests': the captures are committed) and prints the path of the program it built.
#   musl_lookup: stubs/lookup.c linked statically against musl (musl-tools' musl-gcc): musl's
#                getaddrinfo() with its own resolv.conf parsing, query pattern and retries.
#   go_lookup:   stubs/lookup.go built with Debian's Go (golang-go), run with GODEBUG=netdns=go:
#                Go's pure resolver (net.DefaultResolver.LookupIPAddr), not cgo/glibc.

# lab_require_pkg CMD PKG: install PKG when CMD is not on PATH.
lab_require_pkg() {
  local cmd="$1" pkg="$2"
  command -v "$cmd" >/dev/null && return 0
  log "installing: $pkg"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null || true
  apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null || die "apt-get install $pkg failed"
  command -v "$cmd" >/dev/null || die "$pkg installed no $cmd"
}

musl_lookup() {
  lab_require_pkg musl-gcc musl-tools
  local bin="$WORK_DIR/lookup-musl"
  musl-gcc -static -O2 -Wall -o "$bin" "$LAB_DIR/stubs/lookup.c" || die "musl-gcc failed"
  # a static musl binary: no glibc (libnss, libresolv) is loaded, whatever the host has
  ! ldd "$bin" >/dev/null 2>&1 || die "$bin is not static"
  echo "$bin"
}

go_lookup() {
  lab_require_pkg go golang-go
  local bin="$WORK_DIR/lookup-go"
  # CGO off: the binary cannot fall back to glibc's getaddrinfo, so every lookup is Go's own
  (cd "$LAB_DIR/stubs" && CGO_ENABLED=0 GOCACHE="$WORK_DIR/go-cache" GOPATH="$WORK_DIR/go" GO111MODULE=off \
    go build -o "$bin" lookup.go) || die "go build failed"
  echo "$bin"
}

# musl_version / go_version: for the topology text of the expected files
musl_version() { dpkg-query -W -f '${Version}' musl 2>/dev/null | sed 's/-.*//'; }
go_version() { go version | awk '{print $3}'; }
