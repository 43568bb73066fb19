#!/usr/bin/env bash
# Smoke test of the compose configuration without Docker: builds the five apps the way
# docker/Dockerfile does (a copy of the build context .dockerignore allows: Directory.*.props and
# src/ without bin/obj; restore from the project files alone, then publish Release, no app host),
# renders docker/compose.yaml with throwaway secrets, and runs postgres, portal, control-plane-1 and
# control-plane-2, database-roles, migrate, bootstrap-token, demo-seed, ratings-v1 and ratings-v1-proxy as local processes with exactly
# that environment. Differences from the containers, forced by sharing one host: the database
# host/port and the service names become 127.0.0.1, the second control plane replica listens on
# 15020/15024 (the first has 15010/15014), and the demo app on 8081 (the portal has 8080).
# Passes when portal and both control plane replicas (started at once on the empty database) are
# healthy with gRPC certificates from one root CA (and, where they answer GET /replica, exactly one
# leads), the token registers and the sidecar, given both addresses, is /ready with a certificate
# from the control plane. Needs: dotnet SDK, docker compose or docker-compose, python3 + PyYAML,
# PostgreSQL 15+ server binaries, curl, openssl; the ports 8080 8081 15000 15006 15010 15014 15020 15024
# 55432 free. About a minute or two. Usage: docker/smoke.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="$(mktemp -d /tmp/meshwork-smoke.XXXXXX)"
PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
PG_PORT=55432
PIDS=()
AS=()
if [ "$(id -u)" = 0 ]; then AS=(runuser -u meshwork --); fi   # initdb refuses root

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$pid" 2>/dev/null || true
  done
  [ -d "$WORK/pg/data" ] && "${AS[@]}" "$PG_BIN/pg_ctl" -D "$WORK/pg/data" stop -m fast >/dev/null 2>&1 || true
  if [ "${KEEP:-}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
die() { echo "FAIL  $*" >&2; exit 1; }

for port in 8080 8081 15000 15006 15010 15014 15020 15024 $PG_PORT; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then die "port $port is in use"; fi
done
COMPOSE=(docker-compose); docker compose version >/dev/null 2>&1 && COMPOSE=(docker compose)

echo "building (as docker/Dockerfile does) in $WORK/ctx"
mkdir -p "$WORK/ctx"
cp "$ROOT"/Directory.Build.props "$ROOT"/Directory.Packages.props "$WORK/ctx/"
(cd "$ROOT" && grep -oE '^COPY (src/\S+\.csproj)' docker/Dockerfile | cut -d' ' -f2 | while read -r p; do
  mkdir -p "$WORK/ctx/$(dirname "$p")"; cp "$p" "$WORK/ctx/$p"; done)
(
  cd "$WORK/ctx"
  unset MESHWORK_BUILD_SLOT
  for app in Portal ControlPlane Proxy DemoApps DemoFleet; do
    dotnet restore "src/Meshwork.$app/Meshwork.$app.csproj" --disable-build-servers >"$WORK/restore-$app.log" 2>&1 ||
      { tail -n 20 "$WORK/restore-$app.log"; exit 1; }
  done
  (cd "$ROOT" && tar --exclude='*/bin' --exclude='*/obj' -cf - src) | tar -xf - -C "$WORK/ctx"
  for app in Portal ControlPlane Proxy DemoApps DemoFleet; do
    dotnet publish "src/Meshwork.$app/Meshwork.$app.csproj" -c Release -o "$WORK/out/$app" -p:UseAppHost=false \
      -p:UseSharedCompilation=false --disable-build-servers >"$WORK/publish-$app.log" 2>&1 ||
      { grep -E 'error' "$WORK/publish-$app.log" | head -n 20; exit 1; }
  done
) || die "restore/publish failed"
echo "ok    restore from project files, publish of the five apps"

# The compose environment, rendered by compose itself, one env file per service.
POSTGRES_PASSWORD="smoke-$RANDOM" MESHWORK_CA_KEY="$(head -c 32 /dev/urandom | base64)" \
  MESHWORK_ADMIN_PASSWORD='Smoke-Admin-1!' MESHWORK_STATUS_TOKEN="smoke-$RANDOM" MESHWORK_BOOTSTRAP_TOKEN="mwbt_$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')" \
  MESHWORK_AUDIT_SEAL_KEY="$(head -c 32 /dev/urandom | base64)" MESHWORK_PORTAL_DB_PASSWORD="smoke-portal-$RANDOM-$RANDOM" \
  MESHWORK_CONTROL_PLANE_DB_PASSWORD="smoke-control-plane-$RANDOM" "${COMPOSE[@]}" -f "$ROOT/docker/compose.yaml" config >"$WORK/compose.yaml"
python3 - "$WORK" "$PG_PORT" <<'PY'
import shlex, sys, yaml
work, pg_port = sys.argv[1], sys.argv[2]
services = yaml.safe_load(open(f"{work}/compose.yaml"))["services"]
def local(value):
    return (str(value).replace("Host=postgres;Port=5432", f"Host=127.0.0.1;Port={pg_port}")
            .replace("control-plane-1:15010", "127.0.0.1:15010").replace("control-plane-2:15010", "127.0.0.1:15020")
            .replace("ratings-v1:15006", "127.0.0.1:15006")
            # The shared trust-bundle volume becomes a folder (127.0.0.1 is always a SAN of the gRPC certificate).
            .replace("/var/lib/meshwork/trust", f"{work}/trust"))
for name in ("postgres", "database-roles", "migrate", "portal", "control-plane-1", "control-plane-2", "bootstrap-token", "demo-seed", "ratings-v1", "ratings-v1-proxy"):
    with open(f"{work}/{name}.env", "w") as f:
        for key, value in services[name]["environment"].items():
            f.write(f"export {key}={shlex.quote(local(value))}\n")
PY

# Both replicas serve a certificate from the one root CA in the trust bundle they both write (two
# roots would leave one of them failing every client's TLS check).
check_one_root() {
  local port
  for port in 15010 15020; do
    openssl s_client -connect "127.0.0.1:$port" -CAfile "$WORK/trust/trust-bundle.pem" -verify_return_error </dev/null >/dev/null 2>&1 ||
      die "the control plane replica on 127.0.0.1:$port serves a certificate that does not chain to $WORK/trust/trust-bundle.pem"
  done
  echo "ok    both replicas' gRPC certificates chain to the one trust bundle"
}

# Each replica's GET /replica says whether it holds the leader lease: exactly one must, once the
# lease is taken (a few seconds). Skipped for a control plane that does not serve /replica.
check_one_leader() {
  local leaders="" answered=0 port body
  for _ in $(seq 1 30); do
    leaders=""; answered=0
    for port in 15014 15024; do
      body="$(curl -fsS "http://127.0.0.1:$port/replica" 2>/dev/null | tr -d ' \n' || true)"
      if [ -n "$body" ]; then answered=$((answered + 1)); fi
      if grep -q '"leader":true' <<<"$body"; then leaders+="${leaders:+ }$(grep -o '"replicaId":"[^"]*"' <<<"$body")"; fi
    done
    if [ "$answered" -eq 0 ]; then echo "skip  no GET /replica on the control plane: leader not checked"; return 0; fi
    if [ "$answered" -eq 2 ] && [ "$(wc -w <<<"$leaders")" -eq 1 ]; then echo "ok    exactly one replica leads: $leaders"; return 0; fi
    sleep 1
  done
  die "control plane replicas: $answered answered GET /replica, leaders: ${leaders:-none}"
}

start() { # NAME DIR ENV-FILE EXTRA-EXPORTS COMMAND...
  local name="$1" dir="$2" envfile="$3" extra="$4"; shift 4
  # shellcheck disable=SC1090
  ( . "$envfile"; eval "$extra"; cd "$dir"; exec "$@" ) >"$WORK/$name.log" 2>&1 &
  PIDS+=($!)
}
wait_http() { # URL NAME SECONDS
  local code=000
  for _ in $(seq 1 "$3"); do
    code="$(curl -s -o /dev/null -w '%{http_code}' "$1" || true)"
    [ "$code" = 200 ] && { echo "ok    $2: $1 200"; return 0; }
    sleep 1
  done
  tail -n 30 "$WORK/$2.log" >&2
  die "$2: $1 answered $code"
}

# The portal data and proxy state folders hold private keys: both processes refuse a folder others can read.
mkdir -p "$WORK/pg" "$WORK/portal-data" "$WORK/proxy-state"
chmod 700 "$WORK/portal-data" "$WORK/proxy-state"
[ ${#AS[@]} -gt 0 ] && chown meshwork "$WORK" "$WORK/pg"
"${AS[@]}" "$PG_BIN/initdb" -D "$WORK/pg/data" -U meshwork --auth=trust >/dev/null
"${AS[@]}" "$PG_BIN/pg_ctl" -D "$WORK/pg/data" -w -o "-p $PG_PORT -k $WORK/pg -c listen_addresses=127.0.0.1" -l "$WORK/pg/log" start >/dev/null
"$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U meshwork meshwork

# The login roles first (compose's database-roles job), then both control plane replicas at once and
# before the migrate job: as their restricted role they must wait for the schema by themselves and,
# on this empty database, agree on one root CA. Then the owner migrates and the portal starts as its role.
( . "$WORK/database-roles.env"; export PGHOST=127.0.0.1 PGPORT=$PG_PORT; "$PG_BIN/psql" -X -q -f "$ROOT/docker/sql/database-roles.sql" ) >/dev/null ||
  die "database-roles.sql failed"
echo "ok    database roles created"
start control-plane-1 "$WORK/out/ControlPlane" "$WORK/control-plane-1.env" "" dotnet Meshwork.ControlPlane.dll
start control-plane-2 "$WORK/out/ControlPlane" "$WORK/control-plane-2.env" "export ControlPlane__GrpcPort=15020 ControlPlane__HttpPort=15024" \
  dotnet Meshwork.ControlPlane.dll
( . "$WORK/migrate.env"; cd "$WORK/out/Portal"; dotnet Meshwork.Portal.dll migrate ) >"$WORK/migrate.log" 2>&1 ||
  { tail -n 30 "$WORK/migrate.log" >&2; die "migrate (the schema owner's migration) failed"; }
echo "ok    migrate: store and identity schemas migrated by the owner"
start portal "$WORK/out/Portal" "$WORK/portal.env" "export Portal__DataDirectory=$WORK/portal-data" dotnet Meshwork.Portal.dll
wait_http http://127.0.0.1:8080/health portal 120
wait_http http://127.0.0.1:15014/health control-plane-1 120
wait_http http://127.0.0.1:15024/health control-plane-2 120
check_one_root
check_one_leader
( . "$WORK/bootstrap-token.env"; export PGHOST=127.0.0.1 PGPORT=$PG_PORT; "$PG_BIN/psql" -X -q -f "$ROOT/docker/sql/bootstrap-token.sql" ) >/dev/null ||
  die "bootstrap-token.sql failed"
echo "ok    bootstrap-token registered"
# The demo-seed job as the image runs it: `seed DIR` with the demo shop's desired state.
( . "$WORK/demo-seed.env"; cd "$WORK/out/DemoFleet"; dotnet Meshwork.DemoFleet.dll seed "$ROOT/docs/examples/demo" ) >"$WORK/demo-seed.log" 2>&1 ||
  { tail -n 30 "$WORK/demo-seed.log" >&2; die "demo-seed failed"; }
echo "ok    demo-seed: $(tail -n 1 "$WORK/demo-seed.log")"
start ratings-v1 "$WORK/out/DemoApps" "$WORK/ratings-v1.env" "export ASPNETCORE_URLS=http://127.0.0.1:8081" dotnet Meshwork.DemoApps.dll ratings
wait_http http://127.0.0.1:8081/health ratings-v1 60
start ratings-v1-proxy "$WORK/out/Proxy" "$WORK/ratings-v1-proxy.env" \
  "export ControlPlaneClient__AppAddress=127.0.0.1:8081 Proxy__StateDirectory=$WORK/proxy-state" dotnet Meshwork.Proxy.dll
wait_http http://127.0.0.1:15000/ready ratings-v1-proxy 60
snapshot="$(curl -s http://127.0.0.1:15000/snapshot)"
grep -q '"spiffeId": *"spiffe://[^"]*/ns/default/sa/ratings"' <<<"$snapshot" || die "sidecar snapshot has no ratings SPIFFE id: $snapshot"
grep -q '"source": *"control-plane:' <<<"$snapshot" || die "sidecar snapshot did not come from the control plane: $snapshot"
echo "ok    sidecar serves a control-plane snapshot with identity spiffe://.../ns/default/sa/ratings"
[ -s "$WORK/proxy-state/last-good-snapshot.json" ] || die "no last good snapshot in Proxy__StateDirectory"
echo "ok    last good snapshot written to Proxy__StateDirectory"
echo
echo "docker/smoke.sh: passed"
