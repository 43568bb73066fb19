using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Meshwork.Store.Migrations
{
    /// <summary>
    /// Two group roles with only what each process needs (docs/security.md, "Database roles"):
    /// meshwork_portal writes desired state and appends to the audit log; meshwork_control_plane
    /// reads desired state and writes only its own tables (registry, leases, CA, certificates,
    /// joins). Neither owns a table, so neither can alter or drop one or disable the audit log's
    /// append-only trigger. The grants live in a procedure a later migration calls again after it
    /// adds a table. The roles are created when the migrating user may create roles (the launcher,
    /// compose, tests); otherwise an administrator creates them first (docs/deployment.md).
    /// Written as a procedure plus CALL because EF's idempotent script wraps every statement in a
    /// PL/pgSQL block, where only statements valid in both places work.
    /// </summary>
    public partial class DatabaseRoles : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(Procedure());
            migrationBuilder.Sql("CALL meshwork_apply_database_roles();");
        }

        /// <summary>
        /// The grant procedure as this migration made it, plus <paramref name="additionalGrants"/>: a later
        /// migration that adds a table replaces the procedure with its tables' grants added (and its Down
        /// puts back the earlier text), so the grants for every table stay in one procedure.
        /// </summary>
        internal static string Procedure(string additionalGrants = "") => $$"""
                CREATE OR REPLACE PROCEDURE meshwork_apply_database_roles()
                LANGUAGE plpgsql AS $proc$
                DECLARE
                    may_create_roles boolean := (SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user);
                    role_name text;
                BEGIN
                    FOREACH role_name IN ARRAY ARRAY['meshwork_portal', 'meshwork_control_plane'] LOOP
                        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = role_name) THEN
                            IF NOT may_create_roles THEN
                                RAISE NOTICE 'role % does not exist and % may not create roles: create it (docs/deployment.md) and migrate again',
                                    role_name, current_user;
                                RETURN;
                            END IF;
                            EXECUTE format('CREATE ROLE %I NOLOGIN', role_name);
                        END IF;
                    END LOOP;

                    -- From nothing, so a privilege dropped here is dropped from the database too.
                    REVOKE ALL ON ALL TABLES IN SCHEMA public FROM meshwork_portal, meshwork_control_plane;
                    REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM meshwork_portal, meshwork_control_plane;
                    GRANT USAGE ON SCHEMA public TO meshwork_portal, meshwork_control_plane;
                    GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO meshwork_portal, meshwork_control_plane;
                    GRANT SELECT ON "__EFMigrationsHistory" TO meshwork_portal, meshwork_control_plane;

                    -- Portal: desired state and audit through the Store (the audit log append-only);
                    -- bootstrap tokens it issues and revokes; the registry and certificates to show them.
                    GRANT SELECT, INSERT, UPDATE, DELETE ON resources, resource_revisions TO meshwork_portal;
                    GRANT SELECT, INSERT ON audit_log TO meshwork_portal;
                    GRANT SELECT, INSERT, UPDATE ON bootstrap_tokens TO meshwork_portal;
                    GRANT SELECT ON registry_instances, control_plane_leases, workload_certificates, proxy_joins TO meshwork_portal;

                    -- Control plane: reads desired state and the tokens it consumes; writes its own tables.
                    GRANT SELECT ON resources, resource_revisions, audit_log, bootstrap_tokens TO meshwork_control_plane;
                    GRANT SELECT, INSERT, UPDATE, DELETE ON registry_instances, control_plane_leases, workload_certificates, proxy_joins
                        TO meshwork_control_plane;
                    GRANT SELECT, INSERT, UPDATE ON certificate_authorities TO meshwork_control_plane;
                {{additionalGrants}}END
                $proc$;
                """;

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            // The roles stay (they are cluster-wide and may be used by other databases); only this database's grants go.
            migrationBuilder.Sql("""
                DO $$
                BEGIN
                    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'meshwork_portal') AND EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'meshwork_control_plane') THEN
                        REVOKE ALL ON ALL TABLES IN SCHEMA public FROM meshwork_portal, meshwork_control_plane;
                        REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM meshwork_portal, meshwork_control_plane;
                        REVOKE USAGE ON SCHEMA public FROM meshwork_portal, meshwork_control_plane;
                    END IF;
                END
                $$;
                """);
            migrationBuilder.Sql("DROP PROCEDURE IF EXISTS meshwork_apply_database_roles();");
        }
    }
}
