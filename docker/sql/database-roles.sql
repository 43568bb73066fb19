-- Login roles for the portal and the control plane (docker/compose.yaml, service database-roles),
-- before the schema owner migrates: the migrations grant each role only what that process needs
-- (docs/security.md, "Database roles"), so neither process connects as the owner. Run as a user
-- that may create roles (compose's POSTGRES_USER). Every run sets the passwords again, so rotating
-- one is: change the variable, run this, restart the process that uses it.
-- Needs psql 15+ (\getenv).
\set ON_ERROR_STOP on
\getenv portal_password MESHWORK_PORTAL_DB_PASSWORD
\getenv control_plane_password MESHWORK_CONTROL_PLANE_DB_PASSWORD

SELECT length(:'portal_password') >= 16 AND length(:'control_plane_password') >= 16 AS passwords_ok,
       NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'meshwork_portal') AS create_portal,
       NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'meshwork_control_plane') AS create_control_plane \gset
\if :passwords_ok
\else
SELECT 'MESHWORK_PORTAL_DB_PASSWORD and MESHWORK_CONTROL_PLANE_DB_PASSWORD must be at least 16 characters'::int;
\endif
\if :create_portal
CREATE ROLE meshwork_portal;
\endif
\if :create_control_plane
CREATE ROLE meshwork_control_plane;
\endif
ALTER ROLE meshwork_portal LOGIN PASSWORD :'portal_password';
ALTER ROLE meshwork_control_plane LOGIN PASSWORD :'control_plane_password';
