using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Meshwork.Store.Migrations
{
    /// <summary>
    /// Each control plane process's running counts per service version, so the leader's rollout analysis
    /// sees the proxies of every replica. The role procedure also grants the new table: the control plane
    /// writes, reads and prunes it; the portal may only read it.
    /// </summary>
    public partial class VersionTotals : Migration
    {
        /// <summary>Added to the role procedure after the earlier migrations' grants (see DatabaseRoles.Procedure).</summary>
        internal const string Grants = """
                -- Per-version counts of every replica for the leader's rollout analysis; readable by the portal like every table.
                GRANT SELECT ON version_totals TO meshwork_portal;
                GRANT SELECT, INSERT, UPDATE, DELETE ON version_totals TO meshwork_control_plane;

            """;

        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "version_totals",
                columns: table => new
                {
                    writer = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: false),
                    @namespace = table.Column<string>(name: "namespace", type: "character varying(253)", maxLength: 253, nullable: false),
                    service = table.Column<string>(type: "character varying(253)", maxLength: 253, nullable: false),
                    version = table.Column<string>(type: "character varying(253)", maxLength: 253, nullable: false),
                    first_written_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    requests = table.Column<long>(type: "bigint", nullable: false),
                    failures = table.Column<long>(type: "bigint", nullable: false),
                    latency_bucket_counts = table.Column<long[]>(type: "bigint[]", nullable: false),
                    written_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_version_totals", x => new { x.@namespace, x.service, x.version, x.writer });
                });

            migrationBuilder.CreateIndex(
                name: "IX_version_totals_written_at",
                table: "version_totals",
                column: "written_at");

            migrationBuilder.Sql(DatabaseRoles.Procedure(RolloutStates.Grants + SignalRollups.Grants + Grants));
            migrationBuilder.Sql("CALL meshwork_apply_database_roles();");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "version_totals");

            // Back to the procedure without the table, so a later CALL does not name a missing table.
            migrationBuilder.Sql(DatabaseRoles.Procedure(RolloutStates.Grants + SignalRollups.Grants));
            migrationBuilder.Sql("CALL meshwork_apply_database_roles();");
        }
    }
}
