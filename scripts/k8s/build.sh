#!/usr/bin/env bash
# Build the Kubernetes control-plane binaries the e2e tests run against:
# kube-apiserver and kube-controller-manager (from k8s.io/kubernetes) and kwok (fake
# kubelet for pods). Only the Go module proxy is used (no other downloads).
#
#   scripts/k8s/build.sh            # build into $K8S_BIN_DIR unless already there
#   scripts/k8s/build.sh --print    # print the bin dir and exit
#
# k8s.io/kubernetes cannot be `go install`ed: its go.mod replaces the k8s.io/* staging
# modules with local paths. So we write our own module that requires it and adds one
# replace line per staging module, pointing at the published v0.X.Y of each (generated
# from kubernetes' own go.mod, so a version bump needs no hand edits).
#
# Go: the first of `go` on PATH and /usr/local/go/bin/go. Kubernetes needs the Go its
# go.mod names (1.24); an older Go (Debian 12's golang-go is 1.19) fetches that toolchain
# as the module golang.org/toolchain from the module proxy and builds with it.
#
# Tunables: OPSCTL_K8S_VERSION (default v1.34.2), OPSCTL_KWOK_VERSION (default v0.7.0),
# OPSCTL_CACHE_DIR (default $HOME/.cache/opsctl); binaries land in
# $OPSCTL_CACHE_DIR/k8s-<version>/ so a warm machine skips the ~5 min build.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
K8S_VERSION="${OPSCTL_K8S_VERSION:-v1.34.2}"
KWOK_VERSION="${OPSCTL_KWOK_VERSION:-v0.7.0}"
CACHE_DIR="${OPSCTL_CACHE_DIR:-$HOME/.cache/opsctl}"
BIN_DIR="$CACHE_DIR/k8s-$K8S_VERSION"
BINARIES=(kube-apiserver kube-controller-manager kwok)

log() { printf '[k8s-build] %s\n' "$*" >&2; }

if [ "${1:-}" = "--print" ]; then echo "$BIN_DIR"; exit 0; fi

complete=1
for b in "${BINARIES[@]}"; do [ -x "$BIN_DIR/$b" ] || complete=0; done
if [ "$complete" = 1 ]; then log "cached: $BIN_DIR"; exit 0; fi

GO="$(command -v go || true)"
[ -n "$GO" ] || { [ -x /usr/local/go/bin/go ] && GO=/usr/local/go/bin/go; }
[ -n "$GO" ] || { log "ERROR: go not found (install golang-go, or Go >= 1.24 in /usr/local/go)"; exit 1; }
go() { "$GO" "$@"; }
mkdir -p "$BIN_DIR"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
export GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0
start=$SECONDS

# go1.X.Y -> X; Kubernetes 1.34 needs Go >= 1.24.
minor_of() { sed -n 's/^go version go1\.\([0-9]*\).*/\1/p'; }
if [ "$(go version | minor_of)" -lt 24 ] 2>/dev/null; then
  tc="golang.org/toolchain@v0.0.1-go1.24.0.linux-$(go env GOARCH)"
  log "$(go version) is older than Kubernetes needs: fetching $tc from the module proxy"
  tdir="$(GOFLAGS= go mod download -json "$tc" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
  [ -f "$tdir/bin/go" ] || { log "ERROR: could not fetch $tc"; exit 1; }
  # The module cache keeps files read-only and without execute bits: copy it and restore them.
  rm -rf "$CACHE_DIR/go-toolchain"
  cp -r "$tdir" "$CACHE_DIR/go-toolchain"
  chmod -R u+w "$CACHE_DIR/go-toolchain"
  chmod +x "$CACHE_DIR/go-toolchain"/bin/* "$CACHE_DIR/go-toolchain"/pkg/tool/*/*
  GO="$CACHE_DIR/go-toolchain/bin/go"
fi
log "building with $(go version)"

# kubernetes' own go.mod, from the module proxy (also verifies its checksum via sumdb).
kmod="$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')"
[ -f "$kmod" ] || { log "ERROR: could not download k8s.io/kubernetes@$K8S_VERSION"; exit 1; }
staging="v0.${K8S_VERSION#v1.}"   # v1.34.2 -> v0.34.2 (the staging modules' tag)

{
  echo "module opsctl.test/k8s-peers"
  echo
  sed -n 's/^go \(.*\)$/go \1/p' "$kmod"
  sed -n 's/^godebug \(.*\)$/godebug \1/p' "$kmod"
  echo
  echo "require k8s.io/kubernetes $K8S_VERSION"
  echo
  echo "replace ("
  # `k8s.io/api => ./staging/src/k8s.io/api` -> `k8s.io/api => k8s.io/api v0.34.2`
  sed -n "s#^[[:space:]]*\(k8s\.io/[a-z0-9-]*\) => ./staging/src/.*#\t\1 => \1 $staging#p" "$kmod"
  echo ")"
} >"$WORK/go.mod"
n="$(grep -c ' => k8s.io/' "$WORK/go.mod")"
[ "$n" -gt 20 ] || { log "ERROR: only $n staging replace lines generated from $kmod"; exit 1; }

for cmd in kube-apiserver kube-controller-manager; do
  mkdir -p "$WORK/cmd/$cmd"
  cp "$HERE/$cmd.go" "$WORK/cmd/$cmd/main.go"
done
cd "$WORK"
log "resolving modules for k8s.io/kubernetes $K8S_VERSION ($n staging replaces)"
go mod tidy >/dev/null 2>&1 || go mod tidy

# The version the server reports (/version, kubectl version) instead of v0.0.0-master.
minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
ldflags="-s -w"
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags="$ldflags -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
done
for cmd in kube-apiserver kube-controller-manager; do
  t=$SECONDS
  log "building $cmd (a few minutes on 2 cores)"
  go build -trimpath -ldflags "$ldflags" -o "$BIN_DIR/$cmd.tmp" "./cmd/$cmd"
  mv "$BIN_DIR/$cmd.tmp" "$BIN_DIR/$cmd"
  log "built $cmd in $((SECONDS - t)) s"
done

t=$SECONDS
log "building kwok $KWOK_VERSION"
GOFLAGS= GOBIN="$WORK/gobin" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
mv "$WORK/gobin/kwok" "$BIN_DIR/kwok"
log "built kwok in $((SECONDS - t)) s"
printf '%s\n' "k8s $K8S_VERSION kwok $KWOK_VERSION built $(date -u +%FT%TZ) in $((SECONDS - start)) s with $(go version)" >"$BIN_DIR/BUILD-INFO"
log "done in $((SECONDS - start)) s: $BIN_DIR"
