#!/usr/bin/env bash
# Control plane convergence benchmark (not a test): N simulated proxies (real stream protocol,
# lightweight clients in one process) against one real control plane process and a throwaway
# PostgreSQL. Measures, per N: time from a committed route change to ACK by every proxy (p50,
# p99, last), reconnect-storm recovery after a control plane crash, control plane CPU and RSS
# per proxy. Results: docs/benchmarks.md ("Control plane convergence").
#   bench/convergence.sh            N = 100, 1000, 5000
#   bench/convergence.sh --quick    N = 100, 1000
#   bench/convergence.sh 250        one custom N
set -euo pipefail
cd "$(dirname "$0")/.."
export MESHWORK_BUILD_SLOT="${MESHWORK_BUILD_SLOT:-bench}"
sizes=(100 1000 5000)
if [[ "${1:-}" == "--quick" ]]; then sizes=(100 1000); elif [[ -n "${1:-}" ]]; then sizes=("$1"); fi

dotnet build bench/ConvergenceBench -c Release -v quiet -nologo >&2
tool=".build/${MESHWORK_BUILD_SLOT}/bin/ConvergenceBench/Release/net10.0/ConvergenceBench.dll"
mkdir -p bench/results
last=""
for n in "${sizes[@]}"; do
  echo "== $n proxies" >&2
  out=$(dotnet "$tool" --proxies "$n" | tee "bench/results/convergence-$n.txt")
  echo "$out" | grep '^detail:' >&2
  last=$(echo "$out" | grep '^convergence:')
  echo "$last" >&2
done
echo "$last"
