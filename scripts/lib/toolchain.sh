# shellcheck shell=bash disable=SC2034  # its variables are for the scripts that source it
# Sourced by the scripts: their messages, temporary directories and --help; for bootstrap-pulumi and gen-sdk also
# the cache layout, and the Go toolchain with scripts/lib/gomod (Go's own go.mod and JSON parsers) for modules.

PULUMI_VERSION=${PULUMI_VERSION:-3.274.1}
PULUMI_VERSION=${PULUMI_VERSION#v}
CACHE_ROOT=${PULUMI_CPP_GOLIVE_CACHE:-${HOME:?HOME is not set}/.cache/pulumi-cpp-golive}
# Everything built for one Pulumi release: bin/ (bootstrap-pulumi), gensdk/ (gen-sdk's drivers).
VERSION_DIR=$CACHE_ROOT/$PULUMI_VERSION
LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$LIB_DIR/../.." && pwd)  # the checkout
readonly PKG_MODULE=github.com/pulumi/pulumi/pkg/v3 SDK_MODULE=github.com/pulumi/pulumi/sdk/v3
readonly BUILD_TAGS=osusergo,grpcnotrace
TEMP_DIRS=()

log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
# die MESSAGE [DETAIL...]: the message, each detail on an indented line, exit 1.
die() {
  printf '%s: error: %s\n' "${0##*/}" "$1" >&2
  shift
  [ $# -eq 0 ] || printf '  %s\n' "$@" >&2
  exit 1
}
# The comment block after the shebang is the script's documentation: `--help` prints it.
usage() { sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; }

# make_temp VAR TEMPLATE: a new directory (mktemp -d TEMPLATE) in VAR, removed when the script exits.
make_temp() {
  local dir
  dir=$(mktemp -d "$2")
  TEMP_DIRS+=("$dir")
  printf -v "$1" '%s' "$dir"
  trap remove_temp_dirs EXIT
}
# shellcheck disable=SC2317,SC2329  # called from the EXIT trap
remove_temp_dirs() {
  local dir
  for dir in "${TEMP_DIRS[@]+"${TEMP_DIRS[@]}"}"; do
    chmod -R u+w "$dir" 2>/dev/null || true  # the Go module cache's files are read-only
    rm -rf "$dir"
  done
}

# take_lock FILE WAITING_MESSAGE: hold an exclusive lock on FILE (fd LOCK_FD) until release_lock or exit.
take_lock() {
  exec {LOCK_FD}>"$1"
  command -v flock >/dev/null 2>&1 || return 0
  flock -n "$LOCK_FD" || { log "$2"; flock "$LOCK_FD"; }
}
release_lock() { exec {LOCK_FD}>&-; }

# A self-contained Go environment: module mode, no enclosing go.work, no VCS stamping, no cgo (static binaries, no
# C compiler needed), like Pulumi's release builds. Builds scripts/lib/gomod into a temporary directory.
setup_go() {
  command -v go >/dev/null 2>&1 ||
    die "no 'go' on PATH." "Install the Go toolchain (1.26 or newer) and put its bin directory on PATH."
  export GO111MODULE=on GOWORK=off GOFLAGS=-buildvcs=false CGO_ENABLED=0
  log "using $(go version) (GOPROXY=$(go env GOPROXY))"
  make_temp GO_TOOLS "${TMPDIR:-/tmp}/${0##*/}-tools.XXXXXX"
  go build -C "$LIB_DIR/gomod" -o "$GO_TOOLS/gomod" . || die "could not build scripts/lib/gomod (see above)."
}

# go_module_dir MODULE VERSION: the module's directory in the module cache, downloaded if needed; dies saying why not.
go_module_dir() { "$GO_TOOLS/gomod" dir "$1@$2" || die "could not fetch $1@$2 (see above)."; }

# wrapper_module DIR NAME TOOL GOMOD MODULE@VERSION...: a throwaway main module in DIR requiring those modules,
# with the go directive and the non-local replaces of GOMOD and TOOL (if not empty) as a tool, tidied.
wrapper_module() {
  local dir=$1 name=$2 tool=$3 from=$4
  shift 4
  mkdir -p "$dir"
  "$GO_TOOLS/gomod" wrapper -module "pulumi-cpp-golive.invalid/$name" -from "$from" ${tool:+-tool "$tool"} "$@" \
    >"$dir/go.mod" || die "could not write the go.mod of the $name wrapper module."
  log "wrapper module for $name:"
  sed 's/^/    /' "$dir/go.mod" >&2
  (cd "$dir" && go mod tidy) || die "go mod tidy failed in the $name wrapper module ($dir)." \
    "See the go output above (a dependency the proxy does not serve, or a replace that no longer applies)."
}

# go_build DIR PACKAGE OUTPUT [LDFLAGS]: build PACKAGE of the module in DIR, stripped, with our build tags.
go_build() {
  local started=$SECONDS
  log "building $2 -> ${3##*/} (minutes on a cold Go build cache)"
  (cd "$1" && go build -trimpath -tags "$BUILD_TAGS" -ldflags "-s -w ${4:-}" -o "$3" "$2") ||
    die "go build of $2 failed." "See the compiler output above. Module: $1/go.mod"
  log "built ${3##*/} in $((SECONDS - started)) s"
}
