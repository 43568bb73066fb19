using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Meshwork.Portal.Identity.Migrations
{
    /// <summary>
    /// The portal's database role (meshwork_portal, created by the store's DatabaseRoles migration)
    /// may read and write users, roles and OpenIddict's tables, and nothing else here; the control
    /// plane's role gets no access to this schema at all (password hashes, client secrets). Tables a
    /// later identity migration adds are granted by the default privileges. Skipped, with a notice,
    /// where the role does not exist (docs/deployment.md).
    /// </summary>
    public partial class IdentityDatabaseRole : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql($$"""
                DO $$
                BEGIN
                    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'meshwork_portal') THEN
                        RAISE NOTICE 'role meshwork_portal does not exist: {{PortalIdentityDbContext.Schema}} not granted (docs/deployment.md)';
                        RETURN;
                    END IF;
                    GRANT USAGE ON SCHEMA {{PortalIdentityDbContext.Schema}} TO meshwork_portal;
                    GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {{PortalIdentityDbContext.Schema}} TO meshwork_portal;
                    GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {{PortalIdentityDbContext.Schema}} TO meshwork_portal;
                    REVOKE INSERT, UPDATE, DELETE ON {{PortalIdentityDbContext.Schema}}."{{PortalIdentityDbContext.MigrationsHistoryTable}}" FROM meshwork_portal;
                    ALTER DEFAULT PRIVILEGES IN SCHEMA {{PortalIdentityDbContext.Schema}} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO meshwork_portal;
                    ALTER DEFAULT PRIVILEGES IN SCHEMA {{PortalIdentityDbContext.Schema}} GRANT USAGE, SELECT ON SEQUENCES TO meshwork_portal;
                END
                $$;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql($$"""
                DO $$
                BEGIN
                    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'meshwork_portal') THEN
                        ALTER DEFAULT PRIVILEGES IN SCHEMA {{PortalIdentityDbContext.Schema}} REVOKE ALL ON TABLES FROM meshwork_portal;
                        ALTER DEFAULT PRIVILEGES IN SCHEMA {{PortalIdentityDbContext.Schema}} REVOKE ALL ON SEQUENCES FROM meshwork_portal;
                        REVOKE ALL ON ALL TABLES IN SCHEMA {{PortalIdentityDbContext.Schema}} FROM meshwork_portal;
                        REVOKE ALL ON ALL SEQUENCES IN SCHEMA {{PortalIdentityDbContext.Schema}} FROM meshwork_portal;
                        REVOKE USAGE ON SCHEMA {{PortalIdentityDbContext.Schema}} FROM meshwork_portal;
                    END IF;
                END
                $$;
                """);
        }
    }
}
