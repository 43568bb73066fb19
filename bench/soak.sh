#!/usr/bin/env bash
# Soak run (not a test suite; bounded, loopback only): the whole local system under steady load while
# its configuration changes and, with replicas, its control plane crashes, to find what only time
# shows (failed requests around a change or a failover, memory that keeps growing).
#
# It runs `./meshwork up` in a state folder of its own (its own PostgreSQL cluster and ports): control
# plane (MESHWORK_CONTROL_PLANES=--replicas), portal, and the demo shop, whose frontend sidecar's
# outbound listener is the entry here; the catalog sidecars (v1, v2) sit behind it over mTLS, each
# calling pricing through its own sidecar.
# Then, for --minutes:
#   - an open-loop generator (bench/ProxyBench load: constant rate, latency from each request's due
#     time, HdrHistogram) sends --rps requests/s to http://catalog/products through the entry, after a 15 s
#     unmeasured warm-up;
#   - every 5 s the route default/catalog shifts 10 weight points between v1 and v2 and back
#     (bench/ProxyBench churn, through the store's ResourceService as a portal edit goes);
#   - with --replicas 2 or more, every 2 minutes one control plane replica (in turn) is killed with
#     SIGKILL; the portal, which runs the replicas (Portal:Fleet:ControlPlane), restarts it.
# It reports the failed requests, p99, the RSS of every process the launcher started at the start of
# the measured phase and at its end, and ends with the line
#   soak: requests=N failed=N p99_ms=X rss_growth_pct=X
# rss_growth_pct is over the processes that ran the whole phase (a restarted replica is listed apart).
# Exit status 0 when no request and no route change failed. A run of the documented length and rate
# (10 minutes, 1,000 requests/s) rewrites its section of docs/reliability.md (between the soak-rN
# markers, one section per replica count; bench/lib/doc-section.sh); shorter runs leave the docs alone.
#   bench/soak.sh [--minutes 10] [--rps 1000] [--replicas 1]
# Ports (override with the launcher's variables): portal 5180, control plane 15110/15114 (replica k:
# +10*(k-1)), demo shop base 19000 (entry 19111). KEEP=1 keeps the state folder (logs) afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib/doc-section.sh
export MESHWORK_BUILD_SLOT="${MESHWORK_BUILD_SLOT:-bench}"

minutes=10; rps=1000; replicas=1
change_every=5s; kill_every=120; warmup=15
while [[ $# -gt 0 ]]; do
  case "$1" in
    --minutes) minutes="${2:?--minutes needs a number}"; shift ;;
    --rps) rps="${2:?--rps needs a number}"; shift ;;
    --replicas) replicas="${2:?--replicas needs a number}"; shift ;;
    *) echo "usage: bench/soak.sh [--minutes 10] [--rps 1000] [--replicas 1]" >&2; exit 2 ;;
  esac
  shift
done
seconds=$((minutes * 60))

log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }

# Private (0700), as the launcher requires; as root it puts the cluster where its user can reach it
# (/var/lib/meshwork/<hash>, linked from $state/pg), removed again below.
state=$(mktemp -d /tmp/meshwork-soak.XXXXXX)
export MESHWORK_STATE="$state" MESHWORK_CONTROL_PLANES="$replicas"
export MESHWORK_PORTAL_PORT="${MESHWORK_PORTAL_PORT:-5180}" MESHWORK_CP_PORT="${MESHWORK_CP_PORT:-15110}"
export MESHWORK_CP_HTTP_PORT="${MESHWORK_CP_HTTP_PORT:-15114}" MESHWORK_DEMO_BASE_PORT="${MESHWORK_DEMO_BASE_PORT:-19000}"
# The demo's own traffic generator stays on as a trickle: the measured load is ours.
export MESHWORK_DEMO_RPS="${MESHWORK_DEMO_RPS:-1}"
entry=$((MESHWORK_DEMO_BASE_PORT + 111))   # sidecar-frontend-v1's outbound listener (docs/operations.md, demo shop)

background=()
cleanup() {
  local pid
  for pid in "${background[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  ./meshwork down >"$state/down.log" 2>&1 || cat "$state/down.log" >&2
  if [[ "${KEEP:-}" == 1 ]]; then log "kept $state"; return; fi
  if [[ -L "$state/pg" ]]; then rm -rf "$(dirname "$(readlink -f "$state/pg")")"; fi
  rm -rf "$state"
}
trap cleanup EXIT

log "building bench/ProxyBench (Release, slot $MESHWORK_BUILD_SLOT)"
dotnet build bench/ProxyBench -c Release -v quiet -nologo >&2
bench_dll=".build/${MESHWORK_BUILD_SLOT}/bin/ProxyBench/Release/net10.0/ProxyBench.dll"

log "./meshwork up in $state ($replicas control plane replica(s); the first run publishes every app)"
./meshwork up >"$state/up.log" 2>&1 || { tail -n 40 "$state/up.log" >&2; exit 1; }

# The pid of control plane replica NAME, from the record of the portal that runs it ("" when none).
replica_pid() { grep -o '"Pid":[0-9]*' "$state/portal-fleet/control-planes/$1/$1.pid" 2>/dev/null | cut -d: -f2 || true; }
replicas_named() { ls -1 "$state/portal-fleet/control-planes"; }

# NAME PID RSS-kB of every process the launcher started (its pid files) and of the replicas the portal runs, one line each.
rss_sample() {
  local pidfile name pid rss
  {
    for pidfile in "$state"/run/*.pid; do echo "$(basename "$pidfile" .pid) $(cat "$pidfile")"; done
    for name in $(replicas_named); do echo "$name $(replica_pid "$name")"; done
  } | while read -r name pid; do
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
    if [[ -n "$rss" ]]; then echo "$name $pid $rss"; fi
  done
}

# Kills the replicas in turn every $kill_every s of the measured phase, each restarted by the portal's
# supervisor (waited for: a new pid, healthy); stops in time to leave the phase's end undisturbed.
kill_replicas() { # PHASE-START (in $SECONDS)
  local start=$1 kills=$(((seconds - 1) / kill_every)) k due victims victim pid health new
  mapfile -t victims < <(replicas_named)
  for ((k = 1; k <= kills; k++)); do
    due=$((start + k * kill_every - SECONDS))
    sleep $((due > 0 ? due : 0))
    # A restart slower than the period must not push a kill past the phase's end.
    ((SECONDS - start < seconds)) || break
    victim=${victims[$(((k - 1) % ${#victims[@]}))]}
    pid=$(replica_pid "$victim")
    health=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$state/run/$victim.url" | head -n 1)
    log "kill -9 $victim (pid $pid); the portal restarts it"
    kill -KILL "$pid"
    new=""
    for _ in $(seq 1 600); do
      new=$(replica_pid "$victim")
      if [[ -n "$new" && "$new" != "$pid" ]] && curl -fsS -o /dev/null "$health/health" 2>/dev/null; then break; fi
      new=""; sleep 0.2
    done
    if [[ -n "$new" ]]; then log "$victim is back (pid $new)"; else log "$victim was not back within 120 s (log: $state/logs/$victim.log)"; fi
    echo "$victim" >>"$state/kills"
  done
}

log "load: $rps requests/s for ${minutes} min (after a ${warmup} s warm-up) to http://catalog/products through 127.0.0.1:$entry"
# A 256 MB gen0 budget, as in bench/proxy.sh: the generator's own pauses stay out of the tail.
DOTNET_GCgen0size=0x10000000 dotnet "$bench_dll" load --url "http://127.0.0.1:$entry/products" --host catalog \
  --rate "$rps" --duration "${seconds}s" --warmup "${warmup}s" --connections 64 >"$state/load.out" 2>"$state/load.err" &
load_pid=$!
background+=("$load_pid")
sleep "$warmup"
phase_start=$SECONDS
rss_sample >"$state/rss-start"
ConnectionStrings__Meshwork="Host=127.0.0.1;Port=$(cat "$state/pg.port");Database=meshwork;Username=meshwork;Password=$(cat "$state/pg.password")" \
  dotnet "$bench_dll" churn --route default/catalog --every "$change_every" --duration "${seconds}s" >"$state/churn.out" 2>"$state/churn.err" &
churn_pid=$!
background+=("$churn_pid")
if [[ $replicas -gt 1 ]]; then
  kill_replicas "$phase_start" &
  background+=("$!")
fi

load_rc=0; wait "$load_pid" || load_rc=$?
rss_sample >"$state/rss-end"
churn_rc=0; wait "$churn_pid" || churn_rc=$?
wait   # the replica killer has finished its last round by now
latency=$(grep '^latency:' "$state/load.out" || true)
[[ -n "$latency" ]] || { cat "$state/load.err" >&2; log "the load generator gave no result (exit $load_rc)"; exit 1; }
churn=$(grep '^churn:' "$state/churn.out" || echo "churn: no result (exit $churn_rc)")
field() { tr ' ' '\n' <<<"$1" | grep "^$2=" | cut -d= -f2; }
requests=$(field "$latency" sent); failed=$(field "$latency" errors); p99=$(field "$latency" p99_ms)

# One row per process; growth is summed over the processes with the same pid at both samples.
rss_report=$(awk '
  NR == FNR { pid[$1] = $2; start[$1] = $3; next }
  !($1 in pid) { printf "%-20s %-8s %15s %13.1f  started during the run\n", $1, $2, "-", $3 / 1024; next }
  pid[$1] != $2 { printf "%-20s %-8s %15.1f %13.1f  restarted (pid %s at the start)\n", $1, $2, start[$1] / 1024, $3 / 1024, pid[$1]; next }
  { printf "%-20s %-8s %15.1f %13.1f  %+.1f%%\n", $1, $2, start[$1] / 1024, $3 / 1024, 100 * ($3 - start[$1]) / start[$1]
    before += start[$1]; after += $3 }
  END { printf "total %.1f\n", before ? 100 * (after - before) / before : 0 }' "$state/rss-start" "$state/rss-end")
printf '%-20s %-8s %15s %13s  %s\n' process pid "RSS start (MB)" "RSS end (MB)" growth
grep -v '^total ' <<<"$rss_report"
rss_growth=$(awk '/^total / {print $2}' <<<"$rss_report")
echo "$latency"
echo "$churn"
kills=0; [[ -f "$state/kills" ]] && kills=$(wc -l <"$state/kills")
echo "control plane replicas killed and restarted: $kills"
summary="soak: requests=$requests failed=$failed p99_ms=$p99 rss_growth_pct=$rss_growth"

if [[ $minutes -ge 10 && $rps -eq 1000 ]]; then
  section=$(mktemp)
  cat > "$section" <<MD
<!-- soak-r$replicas:begin (generated by bench/soak.sh; edits inside are overwritten) -->
### \`bench/soak.sh --replicas $replicas\`

Run: $(date -u +%Y-%m-%dT%H:%MZ), $minutes minutes at $rps requests/s, $(nproc) CPUs, load average at the end $(cut -d' ' -f1-3 /proc/loadavg) (the machine was shared).
Control plane replicas killed and restarted: $kills.

\`\`\`
$latency
$churn
$(printf '%-20s %-8s %15s %13s  %s\n' process pid "RSS start (MB)" "RSS end (MB)" growth)
$(grep -v '^total ' <<<"$rss_report")
$summary
\`\`\`
<!-- soak-r$replicas:end -->
MD
  replace_doc_section "soak-r$replicas" "$section" docs/reliability.md
  rm -f "$section"
fi
echo "$summary"
[[ "$failed" == 0 && "$churn_rc" == 0 ]]
