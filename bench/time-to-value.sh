#!/usr/bin/env bash
# Time to value (issue 17: at most 3 minutes): from `./meshwork up` on an installed machine to the demo shop's
# traffic visible in the portal's Topology page. Benchmark, not a test.
# "Installed" = what a first `./meshwork up` leaves: the .NET packages restored, the database cluster created,
# the binaries published once. Each measured run starts from everything stopped (`./meshwork down`), runs
# `./meshwork up` (which publishes again, incrementally, and starts PostgreSQL, the control plane, the portal
# and the demo shop with its traffic), while a probe (bench/TimeToValueProbe) waits for the portal, signs in as
# the admin in headless Chromium, opens Topology and stops at the first edge drawn with more than 0 requests/s.
# Writes the "Time to value" section of docs/benchmarks.md (between the time-to-value markers).
#   bench/time-to-value.sh [RUNS]          default 3 measured runs after one untimed install run
#   bench/time-to-value.sh --cold [RUNS]   each run a user who just cloned: a fresh clone of HEAD (empty build
#                                          output, new state folder: database cluster created, everything built
#                                          in Release) with only the NuGet packages already on the machine;
#                                          writes the time-to-value-cold section
# Runs its own system beside any other (state folder and ports below), and stops it at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib/doc-section.sh
cold=""
if [ "${1:-}" = --cold ]; then cold=1; shift; fi
runs="${1:-3}"
export MESHWORK_STATE="${MESHWORK_STATE:-/tmp/meshwork-time-to-value}"
export MESHWORK_PORTAL_PORT="${MESHWORK_PORTAL_PORT:-5380}"
export MESHWORK_CP_PORT="${MESHWORK_CP_PORT:-15310}" MESHWORK_CP_HTTP_PORT="${MESHWORK_CP_HTTP_PORT:-15314}"
export MESHWORK_DEMO_BASE_PORT="${MESHWORK_DEMO_BASE_PORT:-23000}" MESHWORK_FLEET_PORTS="${MESHWORK_FLEET_PORTS:-24000}"
mkdir -p "$MESHWORK_STATE" && chmod 700 "$MESHWORK_STATE"
mkdir -p bench/results
portal="http://127.0.0.1:$MESHWORK_PORTAL_PORT"
checkout="$PWD"   # where `./meshwork` runs: this checkout, or (cold) the run's fresh clone
trap '(cd "$checkout" && ./meshwork down >/dev/null 2>&1) || true' EXIT

trap "exit 143" TERM INT   # so the EXIT trap stops what up started when the run is cut short

now_ms() { date +%s%3N; }

if [ -n "$cold" ]; then
  cold_root="$(mktemp -d /tmp/meshwork-ttv-cold.XXXXXX)"
  trap '(cd "$checkout" && ./meshwork down >/dev/null 2>&1) || true; rm -rf "$cold_root"' EXIT
else
  echo "== install (untimed): ./meshwork up, then down" >&2
  ./meshwork up >bench/results/time-to-value-install.log 2>&1
  ./meshwork down >>bench/results/time-to-value-install.log 2>&1
fi
dotnet build bench/TimeToValueProbe -c Release -v quiet -nologo >&2
probe="bench/TimeToValueProbe/bin/Release/net10.0/TimeToValueProbe.dll"
[ -n "${MESHWORK_BUILD_SLOT:-}" ] && probe=".build/$MESHWORK_BUILD_SLOT/bin/TimeToValueProbe/Release/net10.0/TimeToValueProbe.dll"

totals=() ups=() rows=""
for i in $(seq 1 "$runs"); do
  echo "== run $i of $runs" >&2
  out="bench/results/time-to-value${cold:+-cold}-$i.txt"
  if [ -n "$cold" ]; then
    checkout="$cold_root/clone-$i"
    git clone -q --no-hardlinks "$PWD" "$checkout"
    export MESHWORK_STATE="$cold_root/state-$i"
    mkdir -p "$MESHWORK_STATE" && chmod 700 "$MESHWORK_STATE"
  fi
  start=$(now_ms)
  dotnet "$probe" "$portal" "${MESHWORK_ADMIN_EMAIL:-admin@meshwork.local}" "$MESHWORK_STATE/admin.password" 600 >"$out" 2>"$out.err" &
  probe_pid=$!
  (cd "$checkout" && ./meshwork up) >"bench/results/time-to-value${cold:+-cold}-up-$i.log" 2>&1
  up_done=$(now_ms)
  if ! wait "$probe_pid"; then
    rows+="| $i | $(( (up_done - start) / 1000 )) | failed: $(tail -n 1 "$out.err" | cut -c1-100) | |"$'\n'
    (cd "$checkout" && ./meshwork down >/dev/null 2>&1)
    continue
  fi
  seen=$(grep -o 'seen_unix_ms=[0-9]*' "$out" | cut -d= -f2)
  edge=$(grep -o 'edge=[^ ]*' "$out" | cut -d= -f2)
  total=$(( seen - start )); up=$(( up_done - start ))
  totals+=("$total"); ups+=("$up")
  printf 'run %s: up returned after %.1f s, traffic on the Topology page after %.1f s (%s)\n' "$i" "$(echo "$up/1000" | bc -l)" "$(echo "$total/1000" | bc -l)" "$edge" >&2
  rows+="| $i | $(printf '%.1f' "$(echo "$up/1000" | bc -l)") | $(printf '%.1f' "$(echo "$total/1000" | bc -l)") | \`$edge\` |"$'\n'
  (cd "$checkout" && ./meshwork down >/dev/null 2>&1)
done

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END { if (NR == 0) print "n/a"; else if (NR % 2) printf "%.1f", a[(NR+1)/2]/1000; else printf "%.1f", (a[NR/2]+a[NR/2+1])/2000 }'; }
median_total=$(median "${totals[@]}"); median_up=$(median "${ups[@]}")

name="time-to-value${cold:+-cold}"
if [ -n "$cold" ]; then
  title="Time to value from a fresh clone (cold build)"
  how="Cold: each run clones HEAD into a new directory (no build output) with a new state folder, as a user who just
cloned, the NuGet packages already on the machine; it times \`./meshwork up\` there (building each binary it runs in
Release, creating the database cluster, starting PostgreSQL, control plane, portal, the demo shop's nine apps and
sidecars, the gateway and the traffic generator) while a probe in headless Chromium waits for the portal, signs in,
opens Topology and stops at the first edge drawn with more than 0 requests/s (bench/TimeToValueProbe). Target
(issue 17): at most 180 s."
else
  title="Time to value: \`./meshwork up\` to traffic on the Topology page"
  how="Installed machine: one untimed \`./meshwork up\` and \`down\` first (packages restored, database cluster created,
binaries published). Each run starts with everything stopped and times \`./meshwork up\` (an incremental publish of
each binary, PostgreSQL, control plane, portal, the demo shop's nine apps and sidecars, the gateway and the traffic
generator) while a probe in headless Chromium waits for the portal, signs in, opens Topology and stops at the first
edge drawn with more than 0 requests/s (bench/TimeToValueProbe). Target (issue 17): at most 180 s, cold build
included; the cold build is measured by \`--cold\` (section below)."
fi
section=$(mktemp)
cat > "$section" <<MD
<!-- $name:begin (generated by bench/time-to-value.sh; edits inside are overwritten) -->
## $title

Run: \`bench/time-to-value.sh ${cold:+--cold }$runs\`, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, load average at the end $(cut -d' ' -f1-3 /proc/loadavg) (the machine was shared).

$how

| run | \`up\` returned (s) | traffic on Topology (s) | first edge with traffic |
|---|---|---|---|
${rows}
Median of ${#totals[@]} successful run(s): **${median_total} s** to traffic on the Topology page (\`up\` itself: ${median_up} s).
<!-- $name:end -->
MD
replace_doc_section "$name" "$section"
rm -f "$section"
echo "$name: median_s=$median_total up_median_s=$median_up runs=${#totals[@]}/$runs"
