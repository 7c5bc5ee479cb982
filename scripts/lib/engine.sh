# shellcheck shell=bash
# Sourced by the scripts: put the Pulumi engine on PATH (building it the first time) and isolate its state.

# engine_path BIN_DIR: PATH with the built engine first; where Pulumi's own Python language host could not be
# built (see scripts/bootstrap-pulumi), the stand-in host in scripts/lib/pulumi-host comes next.
engine_path() {
    local bin=$1 root
    root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
    if [[ -x "$bin/pulumi-language-python" && -x "$bin/pulumi-language-nodejs" ]]; then
        printf '%s:%s:%s' "$bin" "$root/.venv/bin" "$PATH"
    else
        printf '%s:%s:%s:%s' "$bin" "$root/scripts/lib/pulumi-host" "$root/.venv/bin" "$PATH"
    fi
}
