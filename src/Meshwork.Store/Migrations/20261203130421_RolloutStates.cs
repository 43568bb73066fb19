using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Meshwork.Store.Migrations
{
    /// <summary>
    /// The rollout controller's state (rollout_states), and the grants it needs: the portal reads it and
    /// queues operators' commands in it (only the pending-command columns once a row exists); the control
    /// plane writes it, and writes the route splits it moves through the Store's audited write path, so it
    /// may now update a resource's content (never its identity) and append revisions and audit entries.
    /// </summary>
    public partial class RolloutStates : Migration
    {
        /// <summary>Added to the role procedure; a later migration that replaces it again adds its grants after these.</summary>
        internal const string Grants = """
                -- Rollouts: the controller keeps their state; the portal shows it and queues commands.
                GRANT SELECT, INSERT ON rollout_states TO meshwork_portal;
                GRANT UPDATE (pending_command, pending_actor, pending_at) ON rollout_states TO meshwork_portal;
                GRANT SELECT, INSERT, UPDATE, DELETE ON rollout_states TO meshwork_control_plane;
                -- The controller's weight changes are audited changes of the route, as a person's are.
                GRANT UPDATE (version, spec, updated_at, updated_by) ON resources TO meshwork_control_plane;
                GRANT INSERT ON resource_revisions, audit_log TO meshwork_control_plane;

            """;

        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "rollout_states",
                columns: table => new
                {
                    @namespace = table.Column<string>(name: "namespace", type: "character varying(253)", maxLength: 253, nullable: false),
                    name = table.Column<string>(type: "character varying(253)", maxLength: 253, nullable: false),
                    rollout_version = table.Column<long>(type: "bigint", nullable: false),
                    phase = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false, defaultValue: "Progressing"),
                    step = table.Column<int>(type: "integer", nullable: false),
                    step_count = table.Column<int>(type: "integer", nullable: false),
                    weight = table.Column<int>(type: "integer", nullable: false),
                    step_started_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()"),
                    consecutive_failures = table.Column<int>(type: "integer", nullable: false),
                    message = table.Column<string>(type: "text", nullable: true),
                    last_analysis = table.Column<string>(type: "jsonb", nullable: true),
                    history = table.Column<string>(type: "jsonb", nullable: false, defaultValueSql: "'[]'::jsonb"),
                    pending_command = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                    pending_actor = table.Column<string>(type: "character varying(253)", maxLength: 253, nullable: true),
                    pending_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()")
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_rollout_states", x => new { x.@namespace, x.name });
                });
            migrationBuilder.Sql(DatabaseRoles.Procedure(Grants));
            migrationBuilder.Sql("CALL meshwork_apply_database_roles();");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "rollout_states");
            migrationBuilder.Sql(DatabaseRoles.Procedure());
            migrationBuilder.Sql("CALL meshwork_apply_database_roles();");
        }
    }
}
