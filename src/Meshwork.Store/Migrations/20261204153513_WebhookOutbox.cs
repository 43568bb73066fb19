using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Meshwork.Store.Migrations
{
    /// <summary>
    /// The durable queue of rollout events for event webhooks: written with the rollout state, delivered and
    /// deleted by the leader. The role procedure also grants the new table: the control plane queues, reads
    /// and deletes; the portal may only read it.
    /// </summary>
    public partial class WebhookOutbox : Migration
    {
        /// <summary>Added to the role procedure after the earlier migrations' grants (see DatabaseRoles.Procedure).</summary>
        internal const string Grants = """
                -- Rollout events waiting for their webhooks: the controller queues them, the leader delivers and deletes.
                GRANT SELECT ON webhook_outbox TO meshwork_portal;
                GRANT SELECT, INSERT, UPDATE, DELETE ON webhook_outbox TO meshwork_control_plane;

            """;

        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "webhook_outbox",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                    @namespace = table.Column<string>(name: "namespace", type: "character varying(253)", maxLength: 253, nullable: false),
                    rollout = table.Column<string>(type: "character varying(253)", maxLength: 253, nullable: false),
                    webhook = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    url = table.Column<string>(type: "character varying(2048)", maxLength: 2048, nullable: false),
                    timeout_ms = table.Column<int>(type: "integer", nullable: false),
                    retries = table.Column<int>(type: "integer", nullable: false),
                    payload = table.Column<string>(type: "jsonb", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_webhook_outbox", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_webhook_outbox_namespace_rollout_webhook_id",
                table: "webhook_outbox",
                columns: new[] { "namespace", "rollout", "webhook", "id" });

            migrationBuilder.Sql(DatabaseRoles.Procedure(RolloutStates.Grants + SignalRollups.Grants + VersionTotals.Grants + Grants));
            migrationBuilder.Sql("CALL meshwork_apply_database_roles();");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "webhook_outbox");

            // Back to the procedure without the table, so a later CALL does not name a missing table.
            migrationBuilder.Sql(DatabaseRoles.Procedure(RolloutStates.Grants + SignalRollups.Grants + VersionTotals.Grants));
            migrationBuilder.Sql("CALL meshwork_apply_database_roles();");
        }
    }
}
