# shellcheck shell=bash
# Shared by scripts/bench and scripts/bench-pinned: the open-files limit, starting and stopping
# the processes under test, and the bench config. Source after env.sh with $out set.

# 1,000 open streams cost the proxy 2,000 sockets (visitor + upstream) and the bench 1,000.
hard="$(ulimit -Hn)"
want=16384
if [ "$hard" != unlimited ] && [ "$hard" -lt "$want" ]; then want="$hard"; fi
ulimit -n "$want"
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge 4096 ] || {
  echo "error: ulimit -n is $(ulimit -n); the memory stage needs 4096. Raise the hard limit." >&2; exit 1; }

# Built once and then run directly, so nothing recompiles halfway through a run.
build_benches() {
  bench_json="$(cargo bench -p proxy --no-run --message-format=json-render-diagnostics)"
}
# The executable of one bench target (after build_benches).
bench_exe() {
  grep "\"kind\":\[\"bench\"\],\"crate_types\":\[\"bin\"\],\"name\":\"$1\"" <<<"$bench_json" \
    | grep -o '"executable":"[^"]*"' | cut -d'"' -f4 | tail -1
}

# Stops the processes this script started (their pids are in target/bench/*.pid).
cleanup() {
  # perf writes its data on SIGINT.
  if [ -e "$out/perf.pid" ]; then
    kill -INT "$(cat "$out/perf.pid")" 2>/dev/null || true
    wait "$(cat "$out/perf.pid")" 2>/dev/null || true
    rm -f "$out/perf.pid"
  fi
  for f in "$out"/*.pid; do
    [ -e "$f" ] || continue
    kill "$(cat "$f")" 2>/dev/null || true
    rm -f "$f"
  done
}

# Starts "$@" in the background, output to target/bench/NAME.{out,log}, pid to NAME.pid;
# echoes the address from its "listening on" line.
start() {
  local name="$1"; shift
  "$@" >"$out/$name.out" 2>"$out/$name.log" &
  echo $! >"$out/$name.pid"
  for _ in $(seq 100); do
    if grep -qo 'listening on http://[^ ]*' "$out/$name.out"; then
      grep -o 'listening on http://[^ ]*' "$out/$name.out" | head -1 | sed 's/listening on //'
      return
    fi
    sleep 0.1
  done
  echo "error: $name did not start; see $out/$name.log" >&2
  exit 1
}

key="xai-bench-key-not-secret"
origin="http://bench.local"

# Writes the proxy config both benches use to $out/proxy.toml.
write_config() {
cat >"$out/proxy.toml" <<TOML
# Limits high enough never to refuse the bench's own load (the in-memory limiter still runs
# on every turn): 2,000 req/s for 20 s from one IP, and 1,000 streams open at once, all from
# 127.0.0.1 (the default 64 connections per address would refuse the rest).
max_concurrent_streams = 4096
max_connections_per_ip = 4096

# The bench client: speech off, so /api/chat is text only, as in the direct request.
[[clients]]
id = "bench"
allowed_origins = ["$origin"]
model = "grok-4-1-fast-non-reasoning"
instructions = "Be brief."
voice = "eve"
voice_enabled = false
session_tokens = false
rate_per_ip = 10000000
rate_per_session = 10000000
rate_per_client = 10000000
TOML
}
