using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Meshwork.Store.Migrations
{
    /// <inheritdoc />
    public partial class RolloutAnalyses : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "analyses",
                table: "rollout_states",
                type: "jsonb",
                nullable: false,
                defaultValueSql: "'[]'::jsonb");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "analyses",
                table: "rollout_states");
        }
    }
}
