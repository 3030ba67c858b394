# Sourced by the scripts: tool locations and the settings that keep Trunk from downloading.
# shellcheck shell=bash
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT
# npm's binaryen (wasm-opt 132) must come before Debian's /usr/bin.
export PATH="$ROOT/tools/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export TRUNK_OFFLINE=true
export TRUNK_SKIP_VERSION_CHECK=true
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
TRUNK_VERSION=0.21.14
# The wasm-bindgen CLI must be exactly the library version in Cargo.lock.
WASM_BINDGEN_VERSION="$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' "$ROOT/Cargo.lock")"
export TRUNK_VERSION WASM_BINDGEN_VERSION
# schemathesis and openapi-spec-validator (.ci/install api-test), shared by every checkout.
export API_TEST_VENV="${API_TEST_VENV:-$HOME/.cache/grok-widget/api-test-venv}"
