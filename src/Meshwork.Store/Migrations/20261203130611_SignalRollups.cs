using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Meshwork.Store.Migrations
{
    /// <summary>
    /// One-minute golden-signal rollups per edge and service version (history for the portal's
    /// charts), one row per minute, series and control plane process. The role procedure is
    /// replaced with one that also grants the new table: the control plane writes and prunes it,
    /// the portal only reads it.
    /// </summary>
    public partial class SignalRollups : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "signal_rollups",
                columns: table => new
                {
                    minute = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    kind = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    source_service = table.Column<string>(type: "character varying(253)", maxLength: 253, nullable: false),
                    source_namespace = table.Column<string>(type: "character varying(253)", maxLength: 253, nullable: false),
                    source_version = table.Column<string>(type: "character varying(253)", maxLength: 253, nullable: false),
                    destination_service = table.Column<string>(type: "character varying(253)", maxLength: 253, nullable: false),
                    destination_namespace = table.Column<string>(type: "character varying(253)", maxLength: 253, nullable: false),
                    destination_version = table.Column<string>(type: "character varying(253)", maxLength: 253, nullable: false),
                    writer = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: false),
                    requests = table.Column<long>(type: "bigint", nullable: false),
                    failures = table.Column<long>(type: "bigint", nullable: false),
                    latency_bucket_counts = table.Column<long[]>(type: "bigint[]", nullable: false),
                    written_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_signal_rollups", x => new { x.minute, x.kind, x.source_service, x.source_namespace, x.source_version, x.destination_service, x.destination_namespace, x.destination_version, x.writer });
                });

            migrationBuilder.Sql("""
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
                    -- Golden-signal history for the charts: written by the control plane only.
                    GRANT SELECT ON signal_rollups TO meshwork_portal;

                    -- Control plane: reads desired state and the tokens it consumes; writes its own tables.
                    GRANT SELECT ON resources, resource_revisions, audit_log, bootstrap_tokens TO meshwork_control_plane;
                    GRANT SELECT, INSERT, UPDATE, DELETE ON registry_instances, control_plane_leases, workload_certificates, proxy_joins,
                        signal_rollups TO meshwork_control_plane;
                    GRANT SELECT, INSERT, UPDATE ON certificate_authorities TO meshwork_control_plane;
                END
                $proc$;
                """);
            migrationBuilder.Sql("CALL meshwork_apply_database_roles();");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "signal_rollups");

            // Back to the procedure without the table, so a later CALL does not name a missing table.
            migrationBuilder.Sql("""
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
                END
                $proc$;
                """);
            migrationBuilder.Sql("CALL meshwork_apply_database_roles();");
        }
    }
}
