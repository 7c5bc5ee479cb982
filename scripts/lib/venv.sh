# shellcheck shell=bash
# Sourced by the scripts: make sure the project's virtualenv exists and holds the package and its test tools.
# Re-installs only when pyproject.toml or the pins below change, so a warm run costs a stat and a hash.

# The Python SDK version the engine build (scripts/bootstrap-pulumi) is matched to. One place, used everywhere.
PULUMI_PY_VERSION=3.272.0

ensure_venv() {
    local root venv stamp want
    root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
    venv="$root/.venv"
    stamp="$venv/.installed"
    want=$(cat "$root/pyproject.toml" "$root/sdk/python/pyproject.toml" "${BASH_SOURCE[0]}" | sha256sum | cut -c1-16)
    if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
        return 0
    fi
    local python=${PYTHON:-python3}
    command -v "$python" >/dev/null || { echo "error: $python not found; install Python >= 3.9" >&2; return 1; }
    echo "setting up $venv (pulumi==$PULUMI_PY_VERSION and test tools)..." >&2
    [[ -x "$venv/bin/python" ]] || "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        "pulumi==$PULUMI_PY_VERSION" -e "${root}[test]" -e "$root/sdk/python" >&2
    echo "$want" > "$stamp"
}
