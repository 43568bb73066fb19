-- Registers the demo fleet's bootstrap token (docker/compose.yaml, service bootstrap-token).
-- Stores only its hash, exactly as BootstrapTokenService.Hash computes it: lower-case hex
-- SHA-256 of the secret's UTF-8 text. Service and namespace '*': an explicit wildcard for the compose
-- demo only (every sidecar starts from one environment file), listed as wildcard in the portal and
-- meshctl. Anywhere else issue one token per service (portal Bootstrap tokens page, meshctl token issue).
-- Needs psql 15+ (\getenv) and the migrated schema (the portal migrates at start).
-- Idempotent: a token already registered is left as it is.
\set ON_ERROR_STOP on
\getenv token MESHWORK_BOOTSTRAP_TOKEN
\getenv valid_days MESHWORK_BOOTSTRAP_TOKEN_DAYS

SELECT :'token' ~ '^[A-Za-z0-9_-]{20,}$' AS token_ok \gset
\if :token_ok
\else
SELECT 'MESHWORK_BOOTSTRAP_TOKEN must be at least 20 characters of [A-Za-z0-9_-]'::int;
\endif

INSERT INTO bootstrap_tokens (id, name, secret_hash, service, namespace, created_at, expires_at, created_by)
VALUES (gen_random_uuid(), 'compose-demo-fleet', encode(sha256(convert_to(:'token', 'UTF8')), 'hex'),
        '*', '*', now(), now() + make_interval(days => :'valid_days'::int), 'docker-compose')
ON CONFLICT (secret_hash) DO NOTHING;
