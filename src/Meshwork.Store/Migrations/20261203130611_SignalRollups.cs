using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Meshwork.Store.Migrations
{
    /// <summary>
    /// One-minute golden-signal rollups per edge and service version (history for the portal's
    /// charts), one row per minute, series and control plane process. The role procedure is
    /// replaced with one that also grants the new table (after the rollout states' grants): the
    /// control plane writes and prunes it, the portal only reads it.
    /// </summary>
    public partial class SignalRollups : Migration
    {
        /// <summary>Added to the role procedure after the earlier migrations' grants (see DatabaseRoles.Procedure).</summary>
        internal const string Grants = """
                -- Golden-signal history: each control plane replica writes its own minutes, the leader prunes; the portal reads.
                GRANT SELECT ON signal_rollups TO meshwork_portal;
                GRANT SELECT, INSERT, UPDATE, DELETE ON signal_rollups TO meshwork_control_plane;

            """;

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

            migrationBuilder.Sql(DatabaseRoles.Procedure(RolloutStates.Grants + Grants));
            migrationBuilder.Sql("CALL meshwork_apply_database_roles();");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "signal_rollups");

            // Back to the procedure without the table, so a later CALL does not name a missing table.
            migrationBuilder.Sql(DatabaseRoles.Procedure(RolloutStates.Grants));
            migrationBuilder.Sql("CALL meshwork_apply_database_roles();");
        }
    }
}
