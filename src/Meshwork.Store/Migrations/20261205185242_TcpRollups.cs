using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Meshwork.Store.Migrations
{
    /// <summary>
    /// One-minute TCP edge rollups beside the golden-signal ones (signal_rollups), so TCP edge charts survive restarts.
    /// The role procedure also grants the new table: the control plane writes, reads and prunes it; the portal may only read it.
    /// </summary>
    public partial class TcpRollups : Migration
    {
        /// <summary>Added to the role procedure after the earlier migrations' grants (see DatabaseRoles.Procedure).</summary>
        internal const string Grants = """
                -- TCP edge history: every replica writes its own minutes, the leader prunes; the portal reads the charts.
                GRANT SELECT ON tcp_rollups TO meshwork_portal;
                GRANT SELECT, INSERT, UPDATE, DELETE ON tcp_rollups TO meshwork_control_plane;

            """;

        private const string EarlierGrants = RolloutStates.Grants + SignalRollups.Grants + VersionTotals.Grants + WebhookOutbox.Grants;

        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "tcp_rollups",
                columns: table => new
                {
                    minute = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    source_service = table.Column<string>(type: "character varying(253)", maxLength: 253, nullable: false),
                    source_namespace = table.Column<string>(type: "character varying(253)", maxLength: 253, nullable: false),
                    source_version = table.Column<string>(type: "character varying(253)", maxLength: 253, nullable: false),
                    destination_service = table.Column<string>(type: "character varying(253)", maxLength: 253, nullable: false),
                    destination_namespace = table.Column<string>(type: "character varying(253)", maxLength: 253, nullable: false),
                    destination_version = table.Column<string>(type: "character varying(253)", maxLength: 253, nullable: false),
                    writer = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: false),
                    opened = table.Column<long>(type: "bigint", nullable: false),
                    closed = table.Column<long>(type: "bigint", nullable: false),
                    connect_failures = table.Column<long>(type: "bigint", nullable: false),
                    denied = table.Column<long>(type: "bigint", nullable: false),
                    received_bytes = table.Column<long>(type: "bigint", nullable: false),
                    sent_bytes = table.Column<long>(type: "bigint", nullable: false),
                    closed_duration_ms = table.Column<long>(type: "bigint", nullable: false),
                    written_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_tcp_rollups", x => new { x.minute, x.source_service, x.source_namespace, x.source_version, x.destination_service, x.destination_namespace, x.destination_version, x.writer });
                });

            migrationBuilder.Sql(DatabaseRoles.Procedure(EarlierGrants + Grants));
            migrationBuilder.Sql("CALL meshwork_apply_database_roles();");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "tcp_rollups");

            // Back to the procedure without the table, so a later CALL does not name a missing table.
            migrationBuilder.Sql(DatabaseRoles.Procedure(EarlierGrants));
            migrationBuilder.Sql("CALL meshwork_apply_database_roles();");
        }
    }
}
