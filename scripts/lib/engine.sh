# shellcheck shell=bash
# Sourced by the scripts: put the Pulumi engine on PATH (building it the first time) and isolate its state.

# engine_path BIN_DIR: PATH with the engine directory of scripts/bootstrap-pulumi first (the CLI and its language
# hosts), then this checkout's virtualenv. Until the engine directory has a Node.js host, the older stand-in in
# scripts/lib/pulumi-host serves TypeScript programs.
engine_path() {
    local bin=$1 root
    root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
    if [[ -x "$bin/pulumi-language-nodejs" ]]; then
        printf '%s:%s:%s' "$bin" "$root/.venv/bin" "$PATH"
    else
        printf '%s:%s:%s:%s' "$bin" "$root/scripts/lib/pulumi-host" "$root/.venv/bin" "$PATH"
    fi
}

# ensure_node_host: install the stand-in Node.js host's npm dependencies (pinned by its package-lock.json).
ensure_node_host() {
    bash "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/pulumi-host/node/ensure.sh"
}

# offline_pulumi_env DIR: a private PULUMI_HOME and a local file backend under DIR, passphrase secrets, no update
# check and no plugin downloads (nothing here may reach beyond loopback).
offline_pulumi_env() {
    local dir=$1
    mkdir -p "$dir/home" "$dir/state"
    export PULUMI_HOME="$dir/home"
    export PULUMI_BACKEND_URL="file://$dir/state"
    export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE:-local-demo-passphrase}"
    export PULUMI_SKIP_UPDATE_CHECK=true
    export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
}
