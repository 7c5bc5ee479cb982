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

# ensure_node_host: install the stand-in Node.js host's npm dependencies (pinned by its package-lock.json).
ensure_node_host() {
    local dir
    dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/pulumi-host/node"
    if [[ ! -f "$dir/node_modules/.installed" || "$dir/package-lock.json" -nt "$dir/node_modules/.installed" ]]; then
        command -v npm >/dev/null || { echo "error: npm not found; install Node.js >= 18" >&2; return 1; }
        echo "installing the stand-in Node.js language host's dependencies..." >&2
        (cd "$dir" && npm ci --no-audit --no-fund --silent >&2) && touch "$dir/node_modules/.installed"
    fi
}

# offline_pulumi_env DIR: a private PULUMI_HOME and a local file backend under DIR, passphrase secrets.
offline_pulumi_env() {
    local dir=$1
    mkdir -p "$dir/home" "$dir/state"
    export PULUMI_HOME="$dir/home"
    export PULUMI_BACKEND_URL="file://$dir/state"
    export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE:-local-demo-passphrase}"
    export PULUMI_SKIP_UPDATE_CHECK=true
    export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
}
