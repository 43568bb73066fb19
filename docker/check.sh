#!/usr/bin/env bash
# Static checks of the deployment files in docker/ (nothing here needs a Docker daemon or a cluster):
#   1. compose.yaml renders (`docker compose config`, or `docker-compose config`) with placeholder
#      secrets, and refuses to render when any one required secret is missing;
#   2. the Kubernetes manifests parse, render with `kubectl kustomize` (when kubectl is installed),
#      and every pod/container has probes, resources and a restricted securityContext, every
#      referenced ConfigMap is defined; proxies keep admin and outbound on loopback
#      (Proxy__LocalBindAddress, no httpGet probe or container port for them), in compose too;
#      compose's ports agree: no port taken twice in a shared network namespace (app + sidecar),
#      healthchecks, published ports, app/outbound (HTTP_PROXY)/instance addresses, control plane
#      addresses and traffic targets name real listeners; its demo shop is exactly the service
#      versions of docs/examples/demo/services.yaml, each sidecar matches its app (role, service,
#      version) and carries the token scoped to its service, and the seed job seeds docs/examples/demo;
#   3. every environment variable named in the Dockerfile, compose.yaml and k8s/ is a real
#      configuration key of the process (A__B -> a property B of the options class bound to A) or
#      a known framework/image variable;
#   4. the Dockerfile copies every project the five apps reference and only sources .dockerignore lets
#      into the context, its targets and entry points exist, compose's images are meshwork/<its target>;
#   5. sql/bootstrap-token.sql registers per-service tokens whose hashes are what BootstrapTokenService.Hash
#      computes, against a throwaway PostgreSQL with db/schema.sql (skipped without PostgreSQL 15+).
# Usage: docker/check.sh   (from anywhere; exit status 0 = every check passed)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
cd "$ROOT"
failures=0
pass() { printf 'ok    %s\n' "$*"; }
fail() { printf 'FAIL  %s\n' "$*"; failures=$((failures + 1)); }
skip() { printf 'skip  %s\n' "$*"; }

# Placeholders, never real secrets: they only let the file render.
REQUIRED_SECRETS=(POSTGRES_PASSWORD MESHWORK_CA_KEY MESHWORK_ADMIN_PASSWORD MESHWORK_BOOTSTRAP_TOKEN MESHWORK_STATUS_TOKEN
  MESHWORK_AUDIT_SEAL_KEY MESHWORK_PORTAL_DB_PASSWORD MESHWORK_CONTROL_PLANE_DB_PASSWORD)
placeholder_env() { # [-u NAME] COMMAND...: runs COMMAND with placeholder secrets (minus NAME)
  local unset=()
  if [ "$1" = -u ]; then unset=(-u "$2"); shift 2; fi
  env POSTGRES_PASSWORD=placeholder MESHWORK_CA_KEY=cGxhY2Vob2xkZXItcGxhY2Vob2xkZXItcGxhY2Vob2w= \
    MESHWORK_ADMIN_PASSWORD=placeholder MESHWORK_BOOTSTRAP_TOKEN=mwbt_placeholder_placeholder MESHWORK_STATUS_TOKEN=placeholder \
    MESHWORK_AUDIT_SEAL_KEY=cGxhY2Vob2xkZXItcGxhY2Vob2xkZXItcGxhY2Vob2w= MESHWORK_PORTAL_DB_PASSWORD=placeholder-placeholder \
    MESHWORK_CONTROL_PLANE_DB_PASSWORD=placeholder-placeholder \
    env "${unset[@]}" "$@"
}

# ---- 1. compose -----------------------------------------------------------------------------
COMPOSE=()
if docker compose version >/dev/null 2>&1; then COMPOSE=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then COMPOSE=(docker-compose)
fi
RENDERED="$(mktemp)"; trap 'rm -f "$RENDERED"' EXIT
if [ ${#COMPOSE[@]} -gt 0 ]; then
  if placeholder_env "${COMPOSE[@]}" -f docker/compose.yaml config >"$RENDERED" 2>/tmp/meshwork-compose-check.err; then
    pass "compose.yaml renders with ${COMPOSE[*]} config"
  else
    fail "compose.yaml does not render: $(cat /tmp/meshwork-compose-check.err)"
  fi
  for secret in "${REQUIRED_SECRETS[@]}"; do
    if placeholder_env -u "$secret" "${COMPOSE[@]}" -f docker/compose.yaml config >/dev/null 2>/tmp/meshwork-compose-check.err; then
      fail "compose.yaml renders without $secret (it must be required)"
    elif grep -q "$secret" /tmp/meshwork-compose-check.err; then
      pass "compose.yaml refuses to render without $secret"
    else
      fail "compose.yaml failed without $secret for another reason: $(cat /tmp/meshwork-compose-check.err)"
    fi
  done
  rm -f /tmp/meshwork-compose-check.err
else
  skip "no docker compose / docker-compose: compose.yaml only parsed as YAML"
  cp docker/compose.yaml "$RENDERED"
fi

# ---- 2. Kubernetes --------------------------------------------------------------------------
if command -v kubectl >/dev/null 2>&1; then
  if kubectl kustomize docker/k8s >/dev/null 2>/tmp/meshwork-k8s-check.err; then pass "k8s/ renders with kubectl kustomize"
  else fail "kubectl kustomize docker/k8s: $(cat /tmp/meshwork-k8s-check.err)"; fi
  rm -f /tmp/meshwork-k8s-check.err
else
  skip "no kubectl: kustomization not rendered"
fi

# ---- 2-4. structure, configuration keys, Dockerfile (Python) ----------------------------------
if ! python3 - "$RENDERED" <<'PY'
import glob, os, re, sys
import yaml

rendered_compose = sys.argv[1]
problems = []
def ok(msg): print(f"ok    {msg}")
def bad(msg): problems.append(msg); print(f"FAIL  {msg}")

def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()

# -- compose structure
compose = yaml.safe_load(read(rendered_compose))
services = compose.get("services", {})
env_names = {}  # name -> where
for name, svc in services.items():
    env = svc.get("environment") or {}
    if isinstance(env, list):
        env = dict(e.split("=", 1) if "=" in e else (e, None) for e in env)
    for key in env:
        env_names.setdefault(key, f"compose:{name}")
    if str(svc.get("image", "")).startswith("meshwork/proxy") and env.get("Proxy__LocalBindAddress", "127.0.0.1") not in ("127.0.0.1", "::1"):
        bad(f"compose {name}: Proxy__LocalBindAddress exposes the proxy's admin and outbound listeners beyond loopback")
    hc = svc.get("healthcheck") or {}
    one_shot = svc.get("restart") in ("no", '"no"')
    if not hc.get("disable") and not hc.get("test") and "build" not in svc and not one_shot:
        bad(f"compose service {name} has no healthcheck")
    for dep, cond in (svc.get("depends_on") or {}).items():
        if isinstance(cond, dict) and cond.get("condition") == "service_healthy":
            dep_hc = services[dep].get("healthcheck") or {}
            if dep_hc.get("disable") or not dep_hc.get("test"):
                bad(f"compose {name} waits for {dep} to be healthy, which has no healthcheck")
if not problems:
    ok(f"compose: {len(services)} services, a healthcheck behind every service_healthy condition")

# -- compose: ports, addresses and the demo shop agree with each other and with the desired state
def env_of(svc):
    env = svc.get("environment") or {}
    if isinstance(env, list):
        env = dict(e.split("=", 1) if "=" in e else (e, None) for e in env)
    return {k: str(v) for k, v in env.items() if v is not None}
def literal_port(value):
    """A port number, or None for one compose would interpolate (raw YAML without compose)."""
    value = str(value)
    return int(value) if value.isdigit() else None
def url_port(url):
    m = re.match(r"^https?://([^/:]+)(?::(\d+))?", url)
    return (m.group(1), int(m.group(2) or (443 if url.startswith("https") else 80))) if m else (None, None)
def command_of(svc):
    cmd = svc.get("command") or []
    return cmd.split() if isinstance(cmd, str) else [str(c) for c in cmd]
def namespace(name):
    mode = str(services[name].get("network_mode", ""))
    return mode.split(":", 1)[1] if mode.startswith("service:") else name
# Listeners per network namespace: (port, bound beyond loopback, owner).
listeners = {}
def listen(name, port, public):
    if port:
        listeners.setdefault(namespace(name), []).append((port, public, name))
before = len(problems)
for name, svc in services.items():
    mode = str(svc.get("network_mode", ""))
    if mode.startswith("service:"):
        owner = mode.split(":", 1)[1]
        if owner not in services: bad(f"compose {name}: network_mode {mode} names no service")
        elif str(services[owner].get("network_mode", "")).startswith("service:"): bad(f"compose {name}: joins {owner}, which joins another namespace itself")
for name, svc in services.items():
    env = env_of(svc)
    if "ASPNETCORE_URLS" in env:
        for url in env["ASPNETCORE_URLS"].split(";"):
            host, port = url_port(url)
            listen(name, port, host not in ("127.0.0.1", "localhost", "[::1]"))
    elif "ASPNETCORE_HTTP_PORTS" in env:
        listen(name, literal_port(env["ASPNETCORE_HTTP_PORTS"]), True)
    cmd = command_of(svc)
    if "--admin-urls" in cmd:
        host, port = url_port(cmd[cmd.index("--admin-urls") + 1])
        listen(name, port, host not in ("127.0.0.1", "localhost"))
    if str(svc.get("image", "")).startswith("meshwork/proxy"):
        wide = env.get("Proxy__BindAddress", "0.0.0.0") not in ("127.0.0.1", "::1")
        listen(name, literal_port(env.get("Proxy__AdminPort", "15000")), False)
        listen(name, literal_port(env.get("Proxy__OutboundPort", "0")), False)
        listen(name, literal_port(env.get("Proxy__InboundPort", "0")), wide)
        listen(name, literal_port(env.get("Proxy__GatewayPort", "0")), wide)
    if str(svc.get("image", "")).startswith("meshwork/control-plane"):
        for key in ("ControlPlane__GrpcPort", "ControlPlane__HttpPort"):
            listen(name, literal_port(env.get(key, "0")), env.get("ControlPlane__ListenAddress") == "0.0.0.0")
for ns, ports in listeners.items():
    seen = {}
    for port, _, owner in ports:
        if port in seen: bad(f"compose: {owner} and {seen[port]} both listen on {port} in the network namespace of {ns}")
        seen[port] = owner
def listens(name, port, public=False):
    return any(p == port and (pub or not public) for p, pub, _ in listeners.get(namespace(name), []))
for name, svc in services.items():
    env = env_of(svc)
    test = (svc.get("healthcheck") or {}).get("test") or []
    for arg in (test if isinstance(test, list) else [test]):
        host, port = url_port(str(arg))
        if host == "127.0.0.1" and str(svc.get("image", "")).startswith("meshwork/") and not listens(name, port):
            bad(f"compose {name}: its healthcheck probes port {port}, which nothing in its namespace listens on")
    for published in svc.get("ports") or []:
        target = published.get("target") if isinstance(published, dict) else str(published).split("/")[0].rsplit(":", 1)[-1]
        if literal_port(target) is not None and not listens(name, int(target), public=True):
            bad(f"compose {name}: publishes port {target}, which it does not listen on beyond loopback")
    if "ControlPlaneClient__AppAddress" in env and env["ControlPlaneClient__AppAddress"]:
        host, port = env["ControlPlaneClient__AppAddress"].rsplit(":", 1)
        if host != "127.0.0.1" or not any(p == int(port) and o != name for p, _, o in listeners.get(namespace(name), [])):
            bad(f"compose {name}: ControlPlaneClient__AppAddress {env['ControlPlaneClient__AppAddress']} is not its app's port in the shared namespace")
    if "HTTP_PROXY" in env:
        host, port = url_port(env["HTTP_PROXY"])
        if not any(literal_port(env_of(services[o]).get("Proxy__OutboundPort", "0")) == port
                   for o in services if namespace(o) == namespace(name) and o != name):
            bad(f"compose {name}: HTTP_PROXY {env['HTTP_PROXY']} is no sidecar outbound listener in its namespace")
    if "ControlPlaneClient__InstanceAddress" in env:
        host, port = env["ControlPlaneClient__InstanceAddress"].rsplit(":", 1)
        expected = literal_port(env.get("Proxy__InboundPort", "0")) or literal_port(env.get("Proxy__GatewayPort", "0"))
        if host != namespace(name) or int(port) != expected:
            bad(f"compose {name}: ControlPlaneClient__InstanceAddress {host}:{port} is not <its namespace's service>:<its inbound or gateway port> ({namespace(name)}:{expected})")
    for key in ("ControlPlaneClient__Address", "Portal__ControlPlane__Address"):
        for address in filter(None, env.get(key, "").split(",")):
            host, port = url_port(address)
            cp = env_of(services.get(host, {}))
            if host not in services or literal_port(cp.get("ControlPlane__GrpcPort", "0")) != port:
                bad(f"compose {name}: {key} {address} is no control plane replica's gRPC port")
            elif host not in cp.get("ControlPlane__GrpcTlsHostNames", "").split(","):
                bad(f"compose {name}: {key} dials {host}, not a SAN of that replica's certificate (ControlPlane__GrpcTlsHostNames)")
    cmd = command_of(svc)
    if cmd[:1] == ["traffic"]:
        for arg in cmd:
            host, port = url_port(arg)
            if host and host not in ("0.0.0.0", "127.0.0.1") and not listens(host, port, public=True):
                bad(f"compose {name}: traffic target {arg} is no listener of service {host}")
if len(problems) == before:
    ok(f"compose: no port taken twice in a network namespace; healthchecks, published ports, app/outbound/instance/control plane addresses and traffic targets name real listeners")

# -- compose: the demo shop is the seeded desired state, each app with its matching sidecar
before = len(problems)
roles = re.search(r"Roles\s*=\s*\[([^\]]*)\]", read("src/Meshwork.DemoApps/Shop/ShopApp.cs")).group(1)
roles = set(re.findall(r'"([^"]+)"', roles)) | {"backend", "traffic"}
desired = set()
for doc in yaml.safe_load_all(read("docs/examples/demo/services.yaml")):
    if doc and doc.get("kind") == "Service":
        desired |= {(doc["metadata"]["name"], v["name"]) for v in doc.get("versions", [])}
token_services = set()
for svc in services.values():
    token_services |= set(filter(None, env_of(svc).get("MESHWORK_BOOTSTRAP_TOKEN_SERVICES", "").split(",")))
running = set()
for name, svc in services.items():
    env = env_of(svc)
    image = str(svc.get("image", ""))
    if image.startswith("meshwork/demoapps") and command_of(svc)[:1] and command_of(svc)[0] not in roles:
        bad(f"compose {name}: command {command_of(svc)[0]} is not a role of Meshwork.DemoApps ({', '.join(sorted(roles))})")
    if not image.startswith("meshwork/proxy"):
        continue
    service, version = env.get("ControlPlaneClient__Service"), env.get("ControlPlaneClient__Version", "v1")
    running.add((service, version))
    if service not in token_services: bad(f"compose {name}: no bootstrap token is registered for {service} (MESHWORK_BOOTSTRAP_TOKEN_SERVICES)")
    if not env.get("ControlPlaneClient__BootstrapToken", "").endswith(f"-{service}"): bad(f"compose {name}: its bootstrap token is not the one scoped to {service} (<token>-{service})")
    owner = namespace(name)
    if owner != name:
        app = env_of(services[owner])
        if (app.get("Demo__Service"), app.get("Demo__Version")) != (service, version) or command_of(services[owner])[:1] != [service]:
            bad(f"compose {name}: sidecar of {service} {version}, but its app {owner} runs {command_of(services[owner])[:1]} as {app.get('Demo__Service')} {app.get('Demo__Version')}")
if running != desired:
    bad(f"compose runs {sorted(running - desired)} beyond docs/examples/demo/services.yaml and lacks {sorted(desired - running)}")
for name, svc in services.items():
    cmd = command_of(svc)
    if (svc.get("build") or {}).get("target") == "demo-fleet" and cmd[:1] == ["seed"]:
        stage = re.search(r"^FROM\s+\S+\s+AS\s+demo-fleet\s*$(.*?)(?=^FROM|\Z)", read("docker/Dockerfile"), re.M | re.S | re.I)
        if not stage or not re.search(r"^COPY\s+docs/examples/demo/?\s+(\./|/app/)" + re.escape(cmd[1].removeprefix("/app/")) + r"/?\s*$", stage.group(1), re.M):
            bad(f"compose {name}: seeds {cmd[1]}, which the demo-fleet image does not copy from docs/examples/demo")
if len(problems) == before:
    ok(f"compose: the demo shop runs every service version of docs/examples/demo/services.yaml ({len(desired)}), each sidecar matches its app and has its scoped token, the seed job seeds docs/examples/demo")

# -- Kubernetes structure
dockerfile_targets = set(re.findall(r"^FROM\s+\S+\s+AS\s+(\S+)", read("docker/Dockerfile"), re.M | re.I))
docs = []
for path in sorted(glob.glob("docker/k8s/*.yaml")):
    try:
        loaded = [d for d in yaml.safe_load_all(read(path)) if d is not None]
    except yaml.YAMLError as e:
        bad(f"{path}: {e}"); continue
    docs += [(path, d) for d in loaded]
ok(f"k8s: {len(docs)} YAML documents parse")
configmaps = {d["metadata"]["name"]: d.get("data", {}) for _, d in docs if d.get("kind") == "ConfigMap"}
def configmap_value(container, key):
    """The value a container gets for an environment variable, from env or an envFrom ConfigMap."""
    for e in container.get("env", []):
        if e["name"] == key: return e.get("value")
    for ref in container.get("envFrom", []):
        cm = ref.get("configMapRef", {}).get("name")
        if key in configmaps.get(cm, {}): return configmaps[cm][key]
    return None
before = len(problems)
for path, d in docs:
    if d.get("kind") not in ("Deployment", "StatefulSet", "DaemonSet"):
        continue
    name = d["metadata"]["name"]
    pod = d["spec"]["template"]["spec"]
    psc = pod.get("securityContext", {})
    if psc.get("runAsNonRoot") is not True: bad(f"{name}: pod securityContext.runAsNonRoot is not true")
    if psc.get("seccompProfile", {}).get("type") != "RuntimeDefault": bad(f"{name}: pod seccompProfile is not RuntimeDefault")
    for c in pod.get("initContainers", []) + pod["containers"]:
        where = f"{name}/{c['name']}"
        sc = c.get("securityContext", {})
        if sc.get("allowPrivilegeEscalation") is not False: bad(f"{where}: allowPrivilegeEscalation is not false")
        if sc.get("readOnlyRootFilesystem") is not True: bad(f"{where}: readOnlyRootFilesystem is not true")
        if sc.get("capabilities", {}).get("drop") != ["ALL"]: bad(f"{where}: capabilities do not drop ALL")
        res = c.get("resources", {})
        for kind in ("requests", "limits"):
            for r in ("cpu", "memory"):
                if r not in res.get(kind, {}): bad(f"{where}: no resources.{kind}.{r}")
        for probe in ("readinessProbe", "livenessProbe"):
            if probe not in c and c in pod["containers"]: bad(f"{where}: no {probe}")  # init containers run to completion
        if c.get("image", "").startswith("meshwork/proxy"):
            # The proxy's admin and outbound listeners bind loopback (Proxy:LocalBindAddress): kubelet
            # cannot reach them with httpGet, and nothing outside the pod may.
            local = configmap_value(c, "Proxy__LocalBindAddress") or "127.0.0.1"
            if local not in ("127.0.0.1", "::1"): bad(f"{where}: Proxy__LocalBindAddress {local} exposes the admin and outbound listeners")
            for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
                if "httpGet" in c.get(probe, {}): bad(f"{where}: {probe} uses httpGet, but the admin port is on loopback (probe with exec)")
            exposed = [p.get("containerPort") for p in c.get("ports", [])]
            if 15000 in exposed or 15001 in exposed: bad(f"{where}: declares the loopback-only admin/outbound port as a container port")
        if sc.get("readOnlyRootFilesystem") and not any(m["mountPath"] == "/tmp" for m in c.get("volumeMounts", [])):
            bad(f"{where}: read-only root filesystem but no writable /tmp")
        for ref in c.get("envFrom", []):
            cm = ref.get("configMapRef", {}).get("name")
            if cm is not None:
                if cm not in configmaps: bad(f"{where}: envFrom ConfigMap {cm} is not defined in k8s/")
                for key in configmaps.get(cm, {}): env_names.setdefault(key, f"k8s:{cm}")
        for e in c.get("env", []):
            env_names.setdefault(e["name"], f"k8s:{where}")
        image = c.get("image", "")
        if image.startswith("meshwork/") and image.split("/")[1].split(":")[0] not in dockerfile_targets:
            bad(f"{where}: image {image} is not a target of docker/Dockerfile")
if len(problems) == before:
    ok("k8s: every container has probes, requests/limits, non-root, read-only root, no privilege escalation, caps dropped")

# -- Dockerfile
dockerfile = read("docker/Dockerfile")
for m in re.finditer(r"^ENV\s+((?:.|\\\n)+?)(?<!\\)$", dockerfile, re.M):
    for key in re.findall(r"([A-Za-z_][A-Za-z0-9_]*)=", m.group(1)):
        env_names.setdefault(key, "Dockerfile")
targets = set(re.findall(r"^FROM\s+\S+\s+AS\s+(\S+)", dockerfile, re.M | re.I))
before = len(problems)
for svc, spec in services.items():
    target = (spec.get("build") or {}).get("target")
    image = str(spec.get("image", ""))
    if target and target not in targets: bad(f"compose {svc}: build target {target} is not in the Dockerfile")
    # meshwork/<target>: a service that only names the image (no build) still gets what a target builds.
    if image.startswith("meshwork/") and image.split("/")[1].split(":")[0] not in targets:
        bad(f"compose {svc}: image {image} is not a target of docker/Dockerfile")
    if target and image.startswith("meshwork/") and image.split("/")[1].split(":")[0] != target:
        bad(f"compose {svc}: builds target {target} but tags it {image}")
# Every file a stage copies from the build context must be in it (.dockerignore keeps all but its ! lines out).
included = [l[1:].strip().rstrip("/") for l in read(".dockerignore").splitlines() if l.startswith("!")]
for source in re.findall(r"^COPY\s+(?!--from)(?:--\S+\s+)*(\S+)\s", dockerfile, re.M):
    if not any(source.rstrip("/") == inc or source.startswith(inc + "/") for inc in included):
        bad(f"Dockerfile copies {source}, which .dockerignore keeps out of the build context")
copied = set(re.findall(r"^COPY\s+(src/\S+\.csproj)", dockerfile, re.M))
for csproj in copied:
    if not os.path.exists(csproj): bad(f"Dockerfile copies {csproj}, which does not exist")
def closure(csproj, seen):
    if csproj in seen: return seen
    seen.add(csproj)
    for ref in re.findall(r'ProjectReference Include="([^"]+)"', read(csproj)):
        closure(os.path.normpath(os.path.join(os.path.dirname(csproj), ref.replace("\\", "/"))), seen)
    return seen
for app in ("Portal", "ControlPlane", "Proxy", "DemoApps", "DemoFleet"):
    for needed in closure(f"src/Meshwork.{app}/Meshwork.{app}.csproj", set()):
        if needed not in copied: bad(f"Dockerfile restore layer misses {needed} (referenced by Meshwork.{app})")
for dll in re.findall(r'ENTRYPOINT \["dotnet", "([^"]+)\.dll"\]', dockerfile):
    csproj = f"src/{dll}/{dll}.csproj"
    if not os.path.exists(csproj) or "<AssemblyName>" in read(csproj):
        bad(f"Dockerfile entry point {dll}.dll is not the assembly of {csproj}")
if len(problems) == before:
    ok(f"Dockerfile: targets {sorted(targets & {'portal', 'control-plane', 'proxy', 'demoapps', 'demo-fleet'})} (compose's images and build targets agree), every copied source is in the build context, restore layer copies every referenced project, entry points are real assemblies")

# -- configuration keys
options = {  # section -> (file with its properties, where the section is bound)
    "ControlPlane": "src/Meshwork.ControlPlane/Configuration/ControlPlaneOptions.cs",
    "ControlPlaneClient": "src/Meshwork.Proxy/ControlPlane/ControlPlaneClientOptions.cs",
    "Proxy": "src/Meshwork.Proxy/Config/ProxyOptions.cs",
    "Portal": "src/Meshwork.Portal/Hosting/PortalOptions.cs",
    "Demo": "src/Meshwork.DemoApps/Backend/BackendOptions.cs",
    # Sub-sections bound to their own options class (Section = "Portal:DemoTraffic"), matched before their parent.
    "Portal:DemoTraffic": "src/Meshwork.Portal/Deployments/DemoTrafficOptions.cs",
}
all_src = "\n".join(read(p) for p in glob.glob("src/**/*.cs", recursive=True))
for section, path in options.items():
    if f'Section = "{section}"' not in read(path) and f'GetSection("{section}")' not in all_src:
        bad(f"section {section} is not bound anywhere in src/")
# Variables read by the framework, the images or our own scripts, not by options classes.
known = {
    "ASPNETCORE_URLS": "ASP.NET Core host", "ASPNETCORE_HTTP_PORTS": "ASP.NET Core host",
    "ASPNETCORE_FORWARDEDHEADERS_ENABLED": "ASP.NET Core host (forwarded headers)",
    "DOTNET_NOLOGO": ".NET CLI", "DOTNET_CLI_TELEMETRY_OPTOUT": ".NET CLI",
    "HTTP_PROXY": ".NET HttpClient default proxy", "NO_PROXY": ".NET HttpClient default proxy",
    "POD_NAME": "k8s downward API, expanded in the same container", "POD_IP": "k8s downward API, expanded in the same container",
    "POSTGRES_DB": "postgres image", "POSTGRES_USER": "postgres image", "POSTGRES_PASSWORD": "postgres image",
    "PGHOST": "psql", "PGDATABASE": "psql", "PGUSER": "psql", "PGPASSWORD": "psql",
}
before = len(problems)
for name, where in sorted(env_names.items()):
    if name in known:
        continue
    if name == "OTEL_EXPORTER_OTLP_ENDPOINT":
        if name not in read("src/Meshwork.ServiceDefaults/Extensions.cs"): bad(f"{name} ({where}) is not read by ServiceDefaults")
        continue
    if name.startswith("MESHWORK_"):  # a psql job's input: some docker/sql script must \getenv it
        if not any(re.search(r"\\getenv\s+\w+\s+" + name + r"\b", read(p)) for p in glob.glob("docker/sql/*.sql")):
            bad(f"{name} ({where}) is not read (\\getenv) by any docker/sql/*.sql")
        continue
    parts = name.split("__")
    if parts[0] == "ConnectionStrings":
        if len(parts) != 2 or f'GetConnectionString("{parts[1]}")' not in all_src:
            bad(f"{name} ({where}): no GetConnectionString(\"{parts[-1]}\") in src/")
        continue
    if len(parts) >= 2 and parts[0] not in options and f'"{":".join(parts)}"' in all_src:
        continue  # a setting read by its full name (configuration["Audit:SealKey"], AuditSealer.KeySetting)
    if len(parts) < 2 or parts[0] not in options:
        bad(f"{name} ({where}) is not a known configuration key"); continue
    depth = max(n for n in range(1, len(parts)) if ":".join(parts[:n]) in options)
    text = read(options[":".join(parts[:depth])])
    for prop in parts[depth:]:
        if not re.search(r"public\s+[\w<>?,\s\[\]]+\s" + re.escape(prop) + r"\s*\{\s*get;\s*set;", text):
            bad(f"{name} ({where}): no property {prop} in {options[parts[0]]}")
if len(problems) == before:
    ok(f"{len(env_names)} environment variable names map to real configuration keys or known framework/image variables")
sys.exit(1 if problems else 0)
PY
then failures=$((failures + 1)); fi

# ---- 5. bootstrap token SQL against a real PostgreSQL -----------------------------------------
PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
if [ -n "$PG_BIN" ] && [ "$("$PG_BIN/postgres" --version | grep -oE '[0-9]+' | head -n 1)" -ge 15 ]; then
  WORK="$(mktemp -d)"
  AS=()
  if [ "$(id -u)" = 0 ]; then
    if id meshwork >/dev/null 2>&1; then AS=(runuser -u meshwork --); chown meshwork "$WORK"; else skip "running as root without a 'meshwork' user: bootstrap-token.sql not run"; WORK=""; fi
  fi
  if [ -n "$WORK" ]; then
    PORT=$((55000 + RANDOM % 900))
    stop_pg() { "${AS[@]}" "$PG_BIN/pg_ctl" -D "$WORK/data" stop -m immediate >/dev/null 2>&1 || true; rm -rf "$WORK"; }
    if "${AS[@]}" "$PG_BIN/initdb" -D "$WORK/data" -U meshwork --auth=trust >/dev/null &&
       "${AS[@]}" "$PG_BIN/pg_ctl" -D "$WORK/data" -w -o "-p $PORT -k $WORK -c listen_addresses=''" -l "$WORK/log" start >/dev/null; then
      export PGHOST="$WORK" PGPORT="$PORT" PGUSER=meshwork
      psql_() { "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }
      TOKEN="mwbt_$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
      register() { MESHWORK_BOOTSTRAP_TOKEN="$1" MESHWORK_BOOTSTRAP_TOKEN_HOURS="${2:-24}" MESHWORK_BOOTSTRAP_TOKEN_SERVICES="${3:-frontend,catalog}" \
                     psql_ -d meshwork -f docker/sql/bootstrap-token.sql >/dev/null 2>&1; }
      roles() { MESHWORK_PORTAL_DB_PASSWORD="$1" MESHWORK_CONTROL_PLANE_DB_PASSWORD="$2" psql_ -d meshwork -f docker/sql/database-roles.sql >/dev/null 2>&1; }
      # As compose runs them: database-roles, then the owner's migration, then the token job.
      if "$PG_BIN/createdb" meshwork && roles "$(printf 'p%.0s' {1..20})" "$(printf 'c%.0s' {1..20})" &&
         psql_ -d meshwork -f db/schema.sql >/dev/null 2>"$WORK/schema.err" && register "$TOKEN"; then
        grants="$(psql_ -d meshwork -At -c "SELECT string_agg(concat_ws('|', rolname, rolcanlogin, has_table_privilege(rolname, 'audit_log', 'INSERT'), has_table_privilege(rolname, 'audit_log', 'UPDATE'), has_table_privilege(rolname, 'resources', 'UPDATE')), ';' ORDER BY rolname) FROM pg_roles WHERE rolname IN ('meshwork_portal', 'meshwork_control_plane')")"
        if [ "$grants" = "meshwork_control_plane|t|t|f|f;meshwork_portal|t|t|f|t" ]; then pass "database-roles.sql + schema: login roles meshwork_portal and meshwork_control_plane (each appends to the audit log, never rewrites it; the control plane only for the rollout controller's weight changes, no table-wide UPDATE of resources)"
        else fail "database roles after database-roles.sql and db/schema.sql: '$grants'"; fi
        if roles short short; then fail "database-roles.sql accepted 5-character passwords"; else pass "database-roles.sql refuses short passwords"; fi
        # Revoke catalog's token, then run again: frontend's is renewed, the revoked one stays revoked, nothing is added.
        psql_ -d meshwork -c "UPDATE bootstrap_tokens SET revoked_at = now(), expires_at = now() + interval '1 hour' WHERE service = 'catalog'" >/dev/null
        register "$TOKEN"
        hash() { printf %s "$1" | sha256sum | cut -d' ' -f1; }
        expected="$(hash "$TOKEN-catalog")|catalog|default|f|t;$(hash "$TOKEN-frontend")|frontend|default|t|f"
        row="$(psql_ -d meshwork -At -c "SELECT string_agg(concat_ws('|', secret_hash, service, namespace, expires_at > now() + interval '23 hours', revoked_at IS NOT NULL), ';' ORDER BY service) FROM bootstrap_tokens")"
        if [ "$row" = "$expected" ]; then pass "bootstrap-token.sql: one token per service, scoped (no wildcard), hash = SHA-256 hex of <token>-<service>, re-run renews but never revives a revoked one"
        else fail "bootstrap-token.sql stored '$row', expected '$expected'"; fi
        if register short; then fail "bootstrap-token.sql accepted a 5-character token"; else pass "bootstrap-token.sql refuses a short token"; fi
        if register "$TOKEN" 25; then fail "bootstrap-token.sql accepted a 25-hour lifetime (BootstrapTokens:MaxLifetime is 24 h)"; else pass "bootstrap-token.sql refuses a lifetime over 24 hours"; fi
        if register "$TOKEN" 24 'catalog,*'; then fail "bootstrap-token.sql accepted the wildcard service '*'"; else pass "bootstrap-token.sql refuses a wildcard service"; fi
      else
        fail "bootstrap-token.sql could not run against db/schema.sql: $(cat "$WORK/schema.err" 2>/dev/null)"
      fi
    else
      fail "could not start a throwaway PostgreSQL from $PG_BIN"
    fi
    stop_pg
  fi
else
  skip "no PostgreSQL 15+ server binaries: bootstrap-token.sql not run"
fi

if command -v shellcheck >/dev/null 2>&1; then
  if shellcheck -S warning "$HERE/check.sh"; then pass "shellcheck check.sh"; else fail "shellcheck check.sh"; fi
fi

echo
if [ "$failures" -eq 0 ]; then echo "docker/check.sh: all checks passed"; else echo "docker/check.sh: $failures check(s) failed"; exit 1; fi
