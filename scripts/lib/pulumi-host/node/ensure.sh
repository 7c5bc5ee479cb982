#!/usr/bin/env bash
# Install the stand-in Node.js language host's npm dependencies (pinned by package-lock.json) into node_modules here,
# only when they are missing or package.json/package-lock.json changed since the last install. Run it, or source it
# (it then defines and calls ensure_node_standin, and returns its status without exiting the caller).
# Progress goes to stderr; stdout stays clean.

ensure_node_standin() {
    local dir stamp want have status output
    dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
    stamp="$dir/node_modules/.standin-stamp"
    if ! command -v node >/dev/null 2>&1; then
        echo "error: node not found; the stand-in host needs Node.js >= 18" >&2
        return 1
    fi
    if ! command -v npm >/dev/null 2>&1; then
        echo "error: npm not found; the stand-in host needs npm" >&2
        return 1
    fi
    # The stamp is a digest of the manifest and the lock (node computes it: no sha256sum/shasum dependency).
    want=$(cd "$dir" && node -e '
        const h = require("crypto").createHash("sha256");
        for (const f of ["package.json", "package-lock.json"]) h.update(require("fs").readFileSync(f));
        process.stdout.write(h.digest("hex"));') || return 1
    have=$(cat "$stamp" 2>/dev/null || true)
    if [[ "$have" == "$want" && -d "$dir/node_modules/@pulumi/pulumi" ]]; then
        return 0
    fi
    echo "installing the stand-in Node.js language host's npm dependencies (npm ci in $dir)..." >&2
    # npm ci empties node_modules first: concurrent callers wait for one another where flock exists.
    (
        if command -v flock >/dev/null 2>&1; then
            exec 9>"$dir/.ensure.lock" && flock 9
            [[ "$(cat "$stamp" 2>/dev/null || true)" == "$want" ]] && exit 0 # another caller just installed it
        fi
        cd "$dir" || exit 1
        # npm's output only when it fails.
        if ! output=$(npm ci --no-audit --no-fund --loglevel=error 2>&1); then
            printf '%s\n' "$output" >&2
            exit 1
        fi
        printf '%s\n' "$want" >"$stamp"
    )
    status=$?
    if [[ $status -ne 0 ]]; then
        echo "error: npm ci failed in $dir (status $status)" >&2
        return "$status"
    fi
    echo "stand-in Node.js language host dependencies installed" >&2
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    set -uo pipefail
    ensure_node_standin
    exit $?
else
    ensure_node_standin
fi
