#!/usr/bin/env bash
# Proxy data-plane benchmark (not a test). One backend returning 1 kB (nginx, a static body: the
# cheapest backend, so the proxies are what is measured) and five ways to reach it:
#   direct, Meshwork proxy (1 hop), Meshwork proxy -> proxy (2 hops, mTLS), HAProxy, nginx proxy,
#   and the 1 hop again with Proxy:Transport=Sockets (.NET's socket engine, where Kestrel + YARP serve; throughput only), against which
#   the Kestrel 1 hop below is the baseline for the epoll transport,
#   and with Proxy:Http1Engine=Kestrel (Kestrel + YARP for every request instead of the default lean HTTP/1.1 path; throughput and CPU only)
# Closed-loop throughput with wrk; latency at a constant 1,000 RPS with bench/ProxyBench (open
# loop, HdrHistogram, corrected for coordinated omission). Medians of several runs. Pinning on
# this 2-core machine: load generator + backend on CPU 0, the proxy under test on CPU 1 (both
# Meshwork proxies of the 2-hop path share CPU 1). HAProxy and nginx run one thread/worker each.
# Results and settings: docs/benchmarks.md (section "Proxy data plane"). The line before the last names
# the machine (CPU model, load) and the CPU per request of each proxy; the last line is:
#   proxy: rps_ratio_vs_nginx=X rps_ratio_vs_haproxy=X added_p99_ms_1hop=X added_p99_ms_2hop=X idle_rss_mb=X
#   bench/proxy.sh            3 runs, wrk 10s, latency 20s
#   bench/proxy.sh --quick    1 run,  wrk 5s,  latency 8s
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib/doc-section.sh
export MESHWORK_BUILD_SLOT="${MESHWORK_BUILD_SLOT:-bench}"

runs=3; wrk_duration=10s; latency_duration=20s; warmup_duration=5s; mode=full; invocation="bench/proxy.sh"
if [[ "${1:-}" == "--quick" ]]; then runs=1; wrk_duration=5s; latency_duration=8s; warmup_duration=3s; mode=quick; invocation="bench/proxy.sh --quick"; fi
connections=64
rate=1000

log() { echo "$*" >&2; }

# ---- tools (Debian packages) -------------------------------------------------------------
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v haproxy >/dev/null || missing+=(haproxy)
command -v nginx >/dev/null || missing+=(nginx)
# The native (NativeAOT) publish of the proxy links with clang against zlib.
command -v clang >/dev/null || missing+=(clang)
dpkg -s zlib1g-dev >/dev/null 2>&1 || missing+=(zlib1g-dev)
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
fi

# ---- build -----------------------------------------------------------------------------
log "building (Release, slot $MESHWORK_BUILD_SLOT)"
dotnet build bench/ProxyBench -c Release -v quiet -nologo >&2
bin=".build/${MESHWORK_BUILD_SLOT}/bin"
bench_dll="$bin/ProxyBench/Release/net10.0/ProxyBench.dll"
# The Meshwork proxy is measured as it ships: the native executable (docs/proxy.md, "Native build").
# Should the native publish fail, the JIT build is measured instead and the output says so.
native_dir=".build/${MESHWORK_BUILD_SLOT}/native/Meshwork.Proxy"
if dotnet publish src/Meshwork.Proxy -c Release --use-current-runtime -p:PublishAot=true -o "$native_dir" -v quiet -nologo >&2; then
  proxy_cmd=("$native_dir/Meshwork.Proxy")
  proxy_build="native (NativeAOT: \`dotnet publish -c Release --use-current-runtime -p:PublishAot=true\`)"
  rss_note=": one executable, no shared framework to map"
else
  log "WARNING: the native publish failed; measuring the JIT build instead"
  dotnet build src/Meshwork.Proxy -c Release -v quiet -nologo >&2
  proxy_cmd=(dotnet "$bin/Meshwork.Proxy/Release/net10.0/Meshwork.Proxy.dll")
  proxy_build="JIT (\`dotnet build -c Release\`; the native publish failed)"
  rss_note=": most of the RSS is the .NET and ASP.NET Core shared framework mapped read-only and shared by every .NET process"
fi
log "Meshwork proxy under test: $proxy_build"

# ---- topology --------------------------------------------------------------------------
backend_port=18080; nginx_port=18090; haproxy_port=18091; outbound_port=18101; inbound_port=18106
sockets_outbound_port=18111; sockets_inbound_port=18116
kestrel_outbound_port=18121; kestrel_inbound_port=18126
admin_client=18200; admin_server=18201; admin_sockets=18202; admin_kestrel=18203
work=$(mktemp -d /tmp/meshwork-bench.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

body=$(head -c 1024 /dev/zero | tr '\0' 'x')
cat >"$work/backend.conf" <<EOF
worker_processes 1; daemon off; pid $work/backend.pid; error_log $work/backend.err warn;
events { worker_connections 4096; }
http {
  access_log off; keepalive_requests 1000000; keepalive_timeout 300s;
  server { listen 127.0.0.1:$backend_port; location / { default_type text/plain; return 200 "$body"; } }
}
EOF
cat >"$work/nginx-proxy.conf" <<EOF
worker_processes 1; daemon off; pid $work/nginx-proxy.pid; error_log $work/nginx-proxy.err warn;
events { worker_connections 4096; }
http {
  access_log off; keepalive_requests 1000000; keepalive_timeout 300s;
  upstream backend { server 127.0.0.1:$backend_port; keepalive 128; keepalive_requests 1000000; }
  server {
    listen 127.0.0.1:$nginx_port;
    location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_buffering on; }
  }
}
EOF
cat >"$work/haproxy.cfg" <<EOF
global
  nbthread 1
  maxconn 8000
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  option http-keep-alive
  http-reuse always
frontend fe
  bind 127.0.0.1:$haproxy_port
  default_backend be
backend be
  server s1 127.0.0.1:$backend_port maxconn 1000
EOF

last_pid=""
start() { # cpu name command...   (sets last_pid; not run in a subshell so cleanup knows every pid)
  local cpu=$1 name=$2; shift 2
  taskset -c "$cpu" "$@" >"$work/$name.log" 2>&1 &
  last_pid=$!
  pids+=("$last_pid")
}
wait_http() { # url [host]
  for _ in $(seq 1 300); do
    if curl -fsS -o /dev/null ${2:+-H "Host: $2"} "$1" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  log "not ready: $1"; tail -n 20 "$work"/*.log >&2; return 1
}

start 0 backend nginx -c "$work/backend.conf" -p "$work"
start 1 nginx-proxy nginx -c "$work/nginx-proxy.conf" -p "$work"
nginx_master=$last_pid
start 1 haproxy haproxy -f "$work/haproxy.cfg"
haproxy_pid=$last_pid

dotnet "$bench_dll" snapshots --dir "$work" --backend "127.0.0.1:$backend_port" --outbound "$outbound_port" --inbound "$inbound_port"
mkdir -p "$work/sockets"
dotnet "$bench_dll" snapshots --dir "$work/sockets" --backend "127.0.0.1:$backend_port" --outbound "$sockets_outbound_port" --inbound "$sockets_inbound_port"
mkdir -p "$work/kestrel"
dotnet "$bench_dll" snapshots --dir "$work/kestrel" --backend "127.0.0.1:$backend_port" --outbound "$kestrel_outbound_port" --inbound "$kestrel_inbound_port"
proxy_args=(--Proxy:BindAddress 127.0.0.1 --Logging:LogLevel:Default Warning)
# The proxies run with the runtime settings they ship with (Meshwork.Proxy.csproj); nothing here overrides them.
export ASPNETCORE_ENVIRONMENT=Production
start 1 proxy-client "${proxy_cmd[@]}" "${proxy_args[@]}" --Proxy:AdminPort $admin_client \
  --Proxy:SnapshotFile "$work/client.json" --Proxy:StateDirectory "$work/state-client"
client_pid=$last_pid
start 1 proxy-server "${proxy_cmd[@]}" "${proxy_args[@]}" --Proxy:AdminPort $admin_server \
  --Proxy:SnapshotFile "$work/server.json" --Proxy:StateDirectory "$work/state-server"
server_pid=$last_pid
start 1 proxy-sockets "${proxy_cmd[@]}" "${proxy_args[@]}" --Proxy:Transport Sockets --Proxy:AdminPort $admin_sockets \
  --Proxy:SnapshotFile "$work/sockets/client.json" --Proxy:StateDirectory "$work/state-sockets"
sockets_pid=$last_pid
start 1 proxy-kestrel "${proxy_cmd[@]}" "${proxy_args[@]}" --Proxy:Http1Engine Kestrel --Proxy:AdminPort $admin_kestrel \
  --Proxy:SnapshotFile "$work/kestrel/client.json" --Proxy:StateDirectory "$work/state-kestrel"
kestrel_pid=$last_pid

wait_http "http://127.0.0.1:$backend_port/"
wait_http "http://127.0.0.1:$nginx_port/"
wait_http "http://127.0.0.1:$haproxy_port/"
wait_http "http://127.0.0.1:$admin_client/ready"
wait_http "http://127.0.0.1:$admin_server/ready"
wait_http "http://127.0.0.1:$admin_sockets/ready"
wait_http "http://127.0.0.1:$admin_kestrel/ready"
wait_http "http://127.0.0.1:$kestrel_outbound_port/" backend
wait_http "http://127.0.0.1:$sockets_outbound_port/" backend
wait_http "http://127.0.0.1:$outbound_port/" backend
wait_http "http://127.0.0.1:$outbound_port/" backend-mtls

rss_mb() { awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }

# Let the build (and its compiler servers) finish before measuring: wait up to 90 s for the 1-minute
# load average to fall below 1. On a shared machine it may not; the generated section records it.
for _ in $(seq 1 90); do
  awk '{exit !($1 < 1.0)}' /proc/loadavg && break
  sleep 1
done
# Idle means idle: the proxy returns its start-up heap to the OS after two quiet seconds (IdleMemoryTrimmer).
sleep 5
nginx_worker=$(pgrep -P "$nginx_master" | head -1)
declare -A proxy_pids=([direct]="" [meshwork_1hop]="$client_pid" [meshwork_1hop_sockets]="$sockets_pid" [meshwork_1hop_kestrel]="$kestrel_pid" [meshwork_2hop]="$client_pid $server_pid" [haproxy]="$haproxy_pid" [nginx]="$nginx_worker")
idle_rss=$(rss_mb "$client_pid")
idle_pss=$(awk '/^Pss:/ {printf "%.1f", $2/1024}' "/proc/$client_pid/smaps_rollup")
idle_private=$(awk '/^Private_(Clean|Dirty):/ {t+=$2} END {printf "%.1f", t/1024}' "/proc/$client_pid/smaps_rollup")
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
log "idle RSS meshwork proxy: ${idle_rss} MB"

# name url host
targets=(
  "direct http://127.0.0.1:$backend_port/ backend"
  "meshwork_1hop http://127.0.0.1:$outbound_port/ backend"
  "meshwork_1hop_sockets http://127.0.0.1:$sockets_outbound_port/ backend"
  "meshwork_1hop_kestrel http://127.0.0.1:$kestrel_outbound_port/ backend"
  "meshwork_2hop http://127.0.0.1:$outbound_port/ backend-mtls"
  "haproxy http://127.0.0.1:$haproxy_port/ backend"
  "nginx http://127.0.0.1:$nginx_port/ backend"
)

sum_ticks() { local t=0; for pid in "$@"; do t=$((t + $(cpu_ticks "$pid"))); done; echo $t; }
declare -A rps p50 p99 cpu_us rps_runs cpu_runs p50_runs p99_runs
# Every path gets the same unmeasured warmup: connection pools filled, JIT-compiled code optimized.
for target in "${targets[@]}"; do
  read -r name url host <<<"$target"
  taskset -c 0 wrk -t1 -c"$connections" -d"$warmup_duration" -H "Host: $host" "$url" >/dev/null
done
# Runs go round the paths in turn (run 1 of every path, then run 2, ...), so a burst of other work on
# a shared machine falls on all paths alike instead of on whichever path was being measured then.
for run in $(seq 1 "$runs"); do
  for target in "${targets[@]}"; do
    read -r name url host <<<"$target"
    # shellcheck disable=SC2086
    before=$(sum_ticks ${proxy_pids[$name]})
    out=$(taskset -c 0 wrk -t1 -c"$connections" -d"$wrk_duration" -H "Host: $host" "$url")
    # shellcheck disable=SC2086
    after=$(sum_ticks ${proxy_pids[$name]})
    value=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    total=$(echo "$out" | awk '/requests in/ {print $1}')
    cpu=$(awk -v t=$((after - before)) -v c="$(getconf CLK_TCK)" -v n="$total" 'BEGIN {printf "%.1f", t / c * 1e6 / n}')
    errors=$(echo "$out" | awk '/Non-2xx|Socket errors/ {print}')
    [[ -n "$errors" ]] && log "  $name wrk: $errors"
    rps_runs[$name]+="$value "; cpu_runs[$name]+="$cpu "
    log "wrk $name run $run: $value req/s, proxy CPU $cpu us/request (load $(cut -d' ' -f1 /proc/loadavg))"
    if [[ $name == meshwork_1hop && $run == 1 ]]; then loaded_rss=$(rss_mb "$client_pid"); fi
  done
done
for target in "${targets[@]}"; do
  read -r name _ _ <<<"$target"
  # shellcheck disable=SC2086
  rps[$name]=$(printf '%s\n' ${rps_runs[$name]} | median)
  # shellcheck disable=SC2086
  cpu_us[$name]=$(printf '%s\n' ${cpu_runs[$name]} | median)
done

clk=$(getconf CLK_TCK)
for run in $(seq 1 "$runs"); do
  for target in "${targets[@]}"; do
    read -r name url host <<<"$target"
    # The socket-engine and Kestrel-engine baselines are there for throughput and CPU; the latency targets concern the shipped settings.
    [[ $name == meshwork_1hop_sockets || $name == meshwork_1hop_kestrel ]] && continue
    before=$(cpu_ticks "$client_pid")
    # A 256 MB gen0 budget: the generator does not collect garbage while it measures.
    out=$(DOTNET_GCgen0size=0x10000000 taskset -c 0 dotnet "$bench_dll" load --url "$url" --host "$host" --rate $rate --duration $latency_duration --warmup 3s)
    after=$(cpu_ticks "$client_pid")
    log "latency $name run $run: $out (load $(cut -d' ' -f1 /proc/loadavg))"
    p50_runs[$name]+="$(echo "$out" | sed -E 's/.*p50_ms=([0-9.]+).*/\1/') "
    p99_runs[$name]+="$(echo "$out" | sed -E 's/.*p99_ms=([0-9.]+).*/\1/') "
    if [[ $name == meshwork_1hop && $run == 1 ]]; then
      # CPU of the proxy over warmup + measured phase at a constant $rate RPS: % of one core per 1,000 RPS.
      secs=$(( ${latency_duration%s} + 3 ))
      cpu_per_krps=$(awk -v t=$((after - before)) -v c="$clk" -v s="$secs" -v r=$rate 'BEGIN {printf "%.1f", 100 * t / c / s / (r / 1000)}')
    fi
  done
done
for target in "${targets[@]}"; do
  read -r name _ _ <<<"$target"
  if [[ $name == meshwork_1hop_sockets || $name == meshwork_1hop_kestrel ]]; then p50[$name]="-"; p99[$name]="-"; continue; fi
  # shellcheck disable=SC2086
  p50[$name]=$(printf '%s\n' ${p50_runs[$name]} | median)
  # shellcheck disable=SC2086
  p99[$name]=$(printf '%s\n' ${p99_runs[$name]} | median)
done
after_rss=$(rss_mb "$client_pid")
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
diff() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a - b}'; }
r_nginx=$(ratio "${rps[meshwork_1hop]}" "${rps[nginx]}")
r_haproxy=$(ratio "${rps[meshwork_1hop]}" "${rps[haproxy]}")
added1=$(diff "${p99[meshwork_1hop]}" "${p99[direct]}")
added2=$(diff "${p99[meshwork_2hop]}" "${p99[direct]}")
cpu_model=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)
# The same comparison in CPU per request: steadier than req/s when other work shares the machine.
cpu_ratio_haproxy=$(ratio "${cpu_us[haproxy]}" "${cpu_us[meshwork_1hop]}")
cpu_ratio_haproxy_kestrel=$(ratio "${cpu_us[haproxy]}" "${cpu_us[meshwork_1hop_kestrel]}")
r_haproxy_kestrel=$(ratio "${rps[meshwork_1hop_kestrel]}" "${rps[haproxy]}")
added_haproxy=$(diff "${p99[haproxy]}" "${p99[direct]}")
added_nginx=$(diff "${p99[nginx]}" "${p99[direct]}")
summary="proxy: rps_ratio_vs_nginx=$r_nginx rps_ratio_vs_haproxy=$r_haproxy added_p99_ms_1hop=$added1 added_p99_ms_2hop=$added2 idle_rss_mb=$idle_rss"

# ---- docs/benchmarks.md (only the proxy section, between its markers) ------------------------
section=$(mktemp)
{
  echo "<!-- proxy:begin (generated by bench/proxy.sh; edits inside are overwritten) -->"
  echo "## Proxy data plane"
  echo
  echo "Run: \`$invocation\` ($mode: $runs run(s) per figure, medians; wrk ${wrk_duration} after a ${warmup_duration} wrk warmup per path, latency ${latency_duration} after a 3 s warmup), $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs ($cpu_model), .NET $(dotnet --version)."
  echo
  echo "Setup: backend = nginx returning a 1,024-byte body (1 worker, CPU 0). Load generators on CPU 0; the proxy under test on CPU 1"
  echo "(the 2-hop path runs both Meshwork proxies on CPU 1). HTTP/1.1 keep-alive everywhere: wrk \`-t1 -c$connections\`; nginx proxy"
  echo "1 worker, upstream keepalive 128, \`proxy_http_version 1.1\`; HAProxy \`nbthread 1\`, \`http-reuse always\`. Meshwork proxy: $proxy_build,"
  echo "one snapshot (outbound listener, Host-header routing to cluster \`backend\`; 2 hops = proxy -> mTLS (ECDSA P-256, TLS via ALPN) -> proxy -> backend;"
  echo "meshwork_1hop_sockets = the same 1 hop with \`Proxy:Transport=Sockets\`, .NET's socket engine, on which the lean engine does not run (Kestrel + YARP serve): the transport's baseline is meshwork_1hop_kestrel;"
  echo "meshwork_1hop_kestrel = the same 1 hop with \`Proxy:Http1Engine=Kestrel\`, Kestrel + YARP for every request instead of the default lean HTTP/1.1 path, docs/proxy.md),"
  echo "shipped settings (the epoll transport, \`Proxy:Transport=Epoll\`, and the lean HTTP/1.1 engine, \`Proxy:Http1Engine=Auto\`, docs/proxy.md; the 2-hop path's mTLS cluster is outside the lean subset, so Kestrel + YARP serve it; Meshwork.Proxy.csproj: workstation non-concurrent GC, inline I/O; for the JIT build tiered compilation without dynamic PGO or tiering delay; telemetry on). Latency: \`bench/ProxyBench load\` open loop at"
  echo "$rate RPS, measured from each request's scheduled start (coordinated omission corrected), HdrHistogram."
  echo
  echo "| Path | Throughput (wrk, req/s) | Proxy CPU per request (µs) | p50 @ $rate RPS (ms) | p99 @ $rate RPS (ms) |"
  echo "|---|---:|---:|---:|---:|"
  for target in "${targets[@]}"; do
    read -r name _ _ <<<"$target"
    cpu="${cpu_us[$name]}"; [[ $name == direct ]] && cpu="-"
    echo "| $name | ${rps[$name]} | $cpu | ${p50[$name]} | ${p99[$name]} |"
  done
  echo
  echo "Proxy CPU per request = CPU time (user+system, from /proc) the proxy process(es) used during the wrk run divided by the"
  echo "requests served: unlike req/s it does not depend on how much CPU other processes left over, so it is the steadier"
  echo "comparison on a shared machine (2 hops: both Meshwork proxies)."
  echo
  echo "Machine load average (1/5/15 min) before: $load_before, after: $load_after. Above ~1 means other work shared these 2 CPUs during"
  echo "the run (on the team machine, builds and test suites of four other engineers), which inflates tails and makes the"
  echo "throughput figures of all paths noisy; compare paths within one run, not across runs."
  echo
  echo "Meshwork proxy resources: idle RSS ${idle_rss} MB (PSS ${idle_pss} MB, private ${idle_private} MB${rss_note});"
  echo "RSS after the wrk run ${loaded_rss} MB, after the latency runs ${after_rss} MB;"
  echo "CPU ${cpu_per_krps}% of one core per 1,000 RPS (1 hop, measured at $rate RPS)."
  echo
  echo "Same comparison by CPU per request (HAProxy's µs / Meshwork 1 hop's µs): $cpu_ratio_haproxy; with Kestrel + YARP"
  echo "(\`Proxy:Http1Engine=Kestrel\`) $cpu_ratio_haproxy_kestrel (req/s ratio vs HAProxy $r_haproxy_kestrel). Added p99 over direct in this run:"
  echo "HAProxy $added_haproxy ms, nginx $added_nginx ms."
  echo
  echo "Targets: rps_ratio_vs_haproxy >= 1.0, rps_ratio_vs_nginx >= 0.66, added p99 at 1,000 RPS <= 1 ms (1 hop) and <= 2 ms (2 hops)"
  echo "and 1 hop <= HAProxy's added p99 in the same run, idle RSS <= 60 MB."
  echo
  echo "$summary"
  echo "<!-- proxy:end -->"
} >"$section"

doc="${MESHWORK_BENCH_DOC:-docs/benchmarks.md}"  # override to try the script without touching the docs
replace_doc_section proxy "$section" "$doc"
rm -f "$section"
echo "machine: $(nproc) CPUs ($cpu_model), load average before $load_before, after $load_after; CPU per request (us): meshwork_1hop ${cpu_us[meshwork_1hop]}, sockets ${cpu_us[meshwork_1hop_sockets]}, kestrel ${cpu_us[meshwork_1hop_kestrel]}, haproxy ${cpu_us[haproxy]}, nginx ${cpu_us[nginx]}; added p99 (ms): haproxy $added_haproxy, nginx $added_nginx"
echo "$summary"
# L4 (TcpRoute) relay vs direct and HAProxy in mode tcp: bench/lib/proxy-tcp.sh, its own section and `tcp:` line.
source bench/lib/proxy-tcp.sh
proxy_tcp_bench
