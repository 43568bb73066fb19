-- Registers the compose demo's bootstrap tokens (docker/compose.yaml, service bootstrap-token): one
-- per demo service, each scoped to that service in namespace 'default' (no wildcard), so a sidecar
-- can only ever join as the service it was given. The secrets are derived from the one
-- MESHWORK_BOOTSTRAP_TOKEN: "<token>-<service>" (compose hands each sidecar its own). A token is
-- needed for a sidecar's first join only; afterwards it reconnects with its workload certificate.
-- Stores only hashes, exactly as BootstrapTokenService.Hash computes them: lower-case hex SHA-256 of
-- the secret's UTF-8 text. Lifetime MESHWORK_BOOTSTRAP_TOKEN_HOURS, at most 24 (BootstrapTokens:MaxLifetime).
-- Re-running renews the lifetime of tokens that are not revoked (a later `up` can join new
-- sidecars again) and never revives a revoked one. Anywhere else issue tokens from the portal's
-- Bootstrap tokens page or `meshctl token issue`.
-- Needs psql 15+ (\getenv) and the migrated schema (the portal migrates at start).
\set ON_ERROR_STOP on
\getenv token MESHWORK_BOOTSTRAP_TOKEN
\getenv valid_hours MESHWORK_BOOTSTRAP_TOKEN_HOURS
\getenv services MESHWORK_BOOTSTRAP_TOKEN_SERVICES

SELECT :'token' ~ '^[A-Za-z0-9_-]{20,}$' AS token_ok,
       :'valid_hours' ~ '^[0-9]+$' AND :'valid_hours'::int BETWEEN 1 AND 24 AS hours_ok,
       :'services' ~ '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(,[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$' AS services_ok \gset
\if :token_ok
\else
SELECT 'MESHWORK_BOOTSTRAP_TOKEN must be at least 20 characters of [A-Za-z0-9_-]'::int;
\endif
\if :hours_ok
\else
SELECT 'MESHWORK_BOOTSTRAP_TOKEN_HOURS must be a whole number of hours from 1 to 24'::int;
\endif
\if :services_ok
\else
SELECT 'MESHWORK_BOOTSTRAP_TOKEN_SERVICES must be a comma-separated list of service names (DNS labels)'::int;
\endif

INSERT INTO bootstrap_tokens (id, name, secret_hash, service, namespace, created_at, expires_at, created_by)
SELECT gen_random_uuid(), 'compose-demo-' || service, encode(sha256(convert_to(:'token' || '-' || service, 'UTF8')), 'hex'),
       service, 'default', now(), now() + make_interval(hours => :'valid_hours'::int), 'docker-compose'
FROM unnest(string_to_array(:'services', ',')) AS service
ON CONFLICT (secret_hash) DO UPDATE SET expires_at = EXCLUDED.expires_at
WHERE bootstrap_tokens.revoked_at IS NULL;
