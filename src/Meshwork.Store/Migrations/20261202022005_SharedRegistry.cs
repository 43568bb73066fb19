using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Meshwork.Store.Migrations
{
    /// <inheritdoc />
    public partial class SharedRegistry : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "control_plane_leases",
                columns: table => new
                {
                    name = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    holder = table.Column<string>(type: "character varying(253)", maxLength: 253, nullable: false),
                    acquired_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    expires_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_control_plane_leases", x => x.name);
                });

            migrationBuilder.CreateTable(
                name: "registry_instances",
                columns: table => new
                {
                    proxy_id = table.Column<string>(type: "character varying(253)", maxLength: 253, nullable: false),
                    service = table.Column<string>(type: "character varying(253)", maxLength: 253, nullable: false),
                    @namespace = table.Column<string>(name: "namespace", type: "character varying(253)", maxLength: 253, nullable: false),
                    version = table.Column<string>(type: "character varying(253)", maxLength: 253, nullable: false),
                    address = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: false),
                    health = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    labels = table.Column<string>(type: "jsonb", nullable: false),
                    gateway = table.Column<bool>(type: "boolean", nullable: false),
                    replica_id = table.Column<string>(type: "character varying(253)", maxLength: 253, nullable: false),
                    connection_id = table.Column<Guid>(type: "uuid", nullable: false),
                    registered_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    lease_expires_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_registry_instances", x => x.proxy_id);
                });

            migrationBuilder.CreateTable(
                name: "workload_certificates",
                columns: table => new
                {
                    proxy_id = table.Column<string>(type: "character varying(253)", maxLength: 253, nullable: false),
                    spiffe_id = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: false),
                    certificate_pem = table.Column<string>(type: "text", nullable: false),
                    subject_public_key_info = table.Column<byte[]>(type: "bytea", nullable: false),
                    not_before = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    not_after = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    issued_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_workload_certificates", x => x.proxy_id);
                });

            migrationBuilder.CreateIndex(
                name: "ix_registry_instances_lease_expires_at",
                table: "registry_instances",
                column: "lease_expires_at");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "control_plane_leases");

            migrationBuilder.DropTable(
                name: "registry_instances");

            migrationBuilder.DropTable(
                name: "workload_certificates");
        }
    }
}
