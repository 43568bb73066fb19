CREATE TABLE IF NOT EXISTS "__EFMigrationsHistory" (
    "MigrationId" character varying(150) NOT NULL,
    "ProductVersion" character varying(32) NOT NULL,
    CONSTRAINT "PK___EFMigrationsHistory" PRIMARY KEY ("MigrationId")
);

START TRANSACTION;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261125095934_InitialSchema') THEN
    CREATE TABLE audit_log (
        sequence bigint NOT NULL,
        at timestamp with time zone NOT NULL,
        actor text NOT NULL,
        source character varying(32) NOT NULL,
        kind character varying(64) NOT NULL,
        namespace character varying(253) NOT NULL,
        name character varying(253) NOT NULL,
        action character varying(32) NOT NULL,
        version_before bigint,
        version_after bigint,
        before json,
        after json,
        previous_hash character(64) NOT NULL,
        hash character(64) NOT NULL,
        CONSTRAINT "PK_audit_log" PRIMARY KEY (sequence)
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261125095934_InitialSchema') THEN
    CREATE TABLE bootstrap_tokens (
        id uuid NOT NULL,
        name character varying(253) NOT NULL,
        secret_hash character varying(128) NOT NULL,
        service character varying(253) NOT NULL,
        namespace character varying(253) NOT NULL,
        created_at timestamp with time zone NOT NULL,
        expires_at timestamp with time zone NOT NULL,
        revoked_at timestamp with time zone,
        created_by text NOT NULL,
        CONSTRAINT "PK_bootstrap_tokens" PRIMARY KEY (id)
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261125095934_InitialSchema') THEN
    CREATE TABLE certificate_authorities (
        id uuid NOT NULL,
        certificate_pem text NOT NULL,
        encrypted_private_key bytea NOT NULL,
        created_at timestamp with time zone NOT NULL,
        not_after timestamp with time zone NOT NULL,
        is_active boolean NOT NULL,
        CONSTRAINT "PK_certificate_authorities" PRIMARY KEY (id)
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261125095934_InitialSchema') THEN
    CREATE TABLE resource_revisions (
        id bigint GENERATED ALWAYS AS IDENTITY,
        kind character varying(64) NOT NULL,
        namespace character varying(253) NOT NULL,
        name character varying(253) NOT NULL,
        version bigint NOT NULL,
        action character varying(32) NOT NULL,
        spec jsonb,
        changed_at timestamp with time zone NOT NULL,
        changed_by text NOT NULL,
        source character varying(32) NOT NULL,
        CONSTRAINT "PK_resource_revisions" PRIMARY KEY (id)
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261125095934_InitialSchema') THEN
    CREATE TABLE resources (
        id bigint GENERATED ALWAYS AS IDENTITY,
        kind character varying(64) NOT NULL,
        namespace character varying(253) NOT NULL,
        name character varying(253) NOT NULL,
        version bigint NOT NULL,
        spec jsonb NOT NULL,
        updated_at timestamp with time zone NOT NULL,
        updated_by text NOT NULL,
        CONSTRAINT "PK_resources" PRIMARY KEY (id)
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261125095934_InitialSchema') THEN
    CREATE INDEX ix_audit_log_actor ON audit_log (actor);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261125095934_InitialSchema') THEN
    CREATE INDEX ix_audit_log_at ON audit_log (at);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261125095934_InitialSchema') THEN
    CREATE INDEX ix_audit_log_key ON audit_log (kind, namespace, name);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261125095934_InitialSchema') THEN
    CREATE UNIQUE INDEX ux_bootstrap_tokens_secret_hash ON bootstrap_tokens (secret_hash);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261125095934_InitialSchema') THEN
    CREATE UNIQUE INDEX ux_resource_revisions_key_version ON resource_revisions (kind, namespace, name, version);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261125095934_InitialSchema') THEN
    CREATE UNIQUE INDEX ux_resources_key ON resources (kind, namespace, name);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261125095934_InitialSchema') THEN
    CREATE OR REPLACE FUNCTION meshwork_audit_log_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $fn$
    BEGIN
        RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP;
    END
    $fn$;
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261125095934_InitialSchema') THEN
    CREATE TRIGGER audit_log_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION meshwork_audit_log_append_only();
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261125095934_InitialSchema') THEN
    INSERT INTO "__EFMigrationsHistory" ("MigrationId", "ProductVersion")
    VALUES ('20261125095934_InitialSchema', '10.0.15');
    END IF;
END $EF$;
COMMIT;

START TRANSACTION;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261202022005_SharedRegistry') THEN
    CREATE TABLE control_plane_leases (
        name character varying(64) NOT NULL,
        holder character varying(253) NOT NULL,
        acquired_at timestamp with time zone NOT NULL,
        expires_at timestamp with time zone NOT NULL,
        CONSTRAINT "PK_control_plane_leases" PRIMARY KEY (name)
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261202022005_SharedRegistry') THEN
    CREATE TABLE registry_instances (
        proxy_id character varying(253) NOT NULL,
        service character varying(253) NOT NULL,
        namespace character varying(253) NOT NULL,
        version character varying(253) NOT NULL,
        address character varying(300) NOT NULL,
        health character varying(16) NOT NULL,
        labels jsonb NOT NULL,
        gateway boolean NOT NULL,
        replica_id character varying(253) NOT NULL,
        connection_id uuid NOT NULL,
        registered_at timestamp with time zone NOT NULL,
        lease_expires_at timestamp with time zone NOT NULL,
        CONSTRAINT "PK_registry_instances" PRIMARY KEY (proxy_id)
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261202022005_SharedRegistry') THEN
    CREATE TABLE workload_certificates (
        proxy_id character varying(253) NOT NULL,
        spiffe_id character varying(1000) NOT NULL,
        certificate_pem text NOT NULL,
        subject_public_key_info bytea NOT NULL,
        not_before timestamp with time zone NOT NULL,
        not_after timestamp with time zone NOT NULL,
        issued_at timestamp with time zone NOT NULL,
        CONSTRAINT "PK_workload_certificates" PRIMARY KEY (proxy_id)
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261202022005_SharedRegistry') THEN
    CREATE INDEX ix_registry_instances_lease_expires_at ON registry_instances (lease_expires_at);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261202022005_SharedRegistry') THEN
    INSERT INTO "__EFMigrationsHistory" ("MigrationId", "ProductVersion")
    VALUES ('20261202022005_SharedRegistry', '10.0.15');
    END IF;
END $EF$;
COMMIT;

START TRANSACTION;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261202145325_ProxyJoins') THEN
    CREATE TABLE proxy_joins (
        key_hash character varying(64) NOT NULL,
        token_id uuid NOT NULL,
        namespace character varying(63) NOT NULL,
        service character varying(63) NOT NULL,
        proxy_id character varying(253) NOT NULL,
        joined_at timestamp with time zone NOT NULL,
        CONSTRAINT "PK_proxy_joins" PRIMARY KEY (key_hash),
        CONSTRAINT "FK_proxy_joins_bootstrap_tokens_token_id" FOREIGN KEY (token_id) REFERENCES bootstrap_tokens (id) ON DELETE CASCADE
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261202145325_ProxyJoins') THEN
    CREATE INDEX ix_proxy_joins_token_id ON proxy_joins (token_id);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261202145325_ProxyJoins') THEN
    INSERT INTO "__EFMigrationsHistory" ("MigrationId", "ProductVersion")
    VALUES ('20261202145325_ProxyJoins', '10.0.15');
    END IF;
END $EF$;
COMMIT;

START TRANSACTION;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261202184632_AuditSeal') THEN
    ALTER TABLE audit_log ADD seal character(64);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261202184632_AuditSeal') THEN
    INSERT INTO "__EFMigrationsHistory" ("MigrationId", "ProductVersion")
    VALUES ('20261202184632_AuditSeal', '10.0.15');
    END IF;
END $EF$;
COMMIT;

START TRANSACTION;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261203092539_DatabaseRoles') THEN
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
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261203092539_DatabaseRoles') THEN
    CALL meshwork_apply_database_roles();
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261203092539_DatabaseRoles') THEN
    INSERT INTO "__EFMigrationsHistory" ("MigrationId", "ProductVersion")
    VALUES ('20261203092539_DatabaseRoles', '10.0.15');
    END IF;
END $EF$;
COMMIT;

START TRANSACTION;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261203130421_RolloutStates') THEN
    CREATE TABLE rollout_states (
        namespace character varying(253) NOT NULL,
        name character varying(253) NOT NULL,
        rollout_version bigint NOT NULL,
        phase character varying(32) NOT NULL DEFAULT 'Progressing',
        step integer NOT NULL,
        step_count integer NOT NULL,
        weight integer NOT NULL,
        step_started_at timestamp with time zone NOT NULL DEFAULT (now()),
        consecutive_failures integer NOT NULL,
        message text,
        last_analysis jsonb,
        history jsonb NOT NULL DEFAULT ('[]'::jsonb),
        pending_command character varying(32),
        pending_actor character varying(253),
        pending_at timestamp with time zone,
        updated_at timestamp with time zone NOT NULL DEFAULT (now()),
        CONSTRAINT "PK_rollout_states" PRIMARY KEY (namespace, name)
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261203130421_RolloutStates') THEN
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
        -- Rollouts: the controller keeps their state; the portal shows it and queues commands.
        GRANT SELECT, INSERT ON rollout_states TO meshwork_portal;
        GRANT UPDATE (pending_command, pending_actor, pending_at) ON rollout_states TO meshwork_portal;
        GRANT SELECT, INSERT, UPDATE, DELETE ON rollout_states TO meshwork_control_plane;
        -- The controller's weight changes are audited changes of the route, as a person's are.
        GRANT UPDATE (version, spec, updated_at, updated_by) ON resources TO meshwork_control_plane;
        GRANT INSERT ON resource_revisions, audit_log TO meshwork_control_plane;
    END
    $proc$;
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261203130421_RolloutStates') THEN
    CALL meshwork_apply_database_roles();
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261203130421_RolloutStates') THEN
    INSERT INTO "__EFMigrationsHistory" ("MigrationId", "ProductVersion")
    VALUES ('20261203130421_RolloutStates', '10.0.15');
    END IF;
END $EF$;
COMMIT;

START TRANSACTION;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261203130611_SignalRollups') THEN
    CREATE TABLE signal_rollups (
        minute timestamp with time zone NOT NULL,
        kind character varying(16) NOT NULL,
        source_service character varying(253) NOT NULL,
        source_namespace character varying(253) NOT NULL,
        source_version character varying(253) NOT NULL,
        destination_service character varying(253) NOT NULL,
        destination_namespace character varying(253) NOT NULL,
        destination_version character varying(253) NOT NULL,
        writer character varying(300) NOT NULL,
        requests bigint NOT NULL,
        failures bigint NOT NULL,
        latency_bucket_counts bigint[] NOT NULL,
        written_at timestamp with time zone NOT NULL,
        CONSTRAINT "PK_signal_rollups" PRIMARY KEY (minute, kind, source_service, source_namespace, source_version, destination_service, destination_namespace, destination_version, writer)
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261203130611_SignalRollups') THEN
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
        -- Rollouts: the controller keeps their state; the portal shows it and queues commands.
        GRANT SELECT, INSERT ON rollout_states TO meshwork_portal;
        GRANT UPDATE (pending_command, pending_actor, pending_at) ON rollout_states TO meshwork_portal;
        GRANT SELECT, INSERT, UPDATE, DELETE ON rollout_states TO meshwork_control_plane;
        -- The controller's weight changes are audited changes of the route, as a person's are.
        GRANT UPDATE (version, spec, updated_at, updated_by) ON resources TO meshwork_control_plane;
        GRANT INSERT ON resource_revisions, audit_log TO meshwork_control_plane;
        -- Golden-signal history: each control plane replica writes its own minutes, the leader prunes; the portal reads.
        GRANT SELECT ON signal_rollups TO meshwork_portal;
        GRANT SELECT, INSERT, UPDATE, DELETE ON signal_rollups TO meshwork_control_plane;
    END
    $proc$;
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261203130611_SignalRollups') THEN
    CALL meshwork_apply_database_roles();
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261203130611_SignalRollups') THEN
    INSERT INTO "__EFMigrationsHistory" ("MigrationId", "ProductVersion")
    VALUES ('20261203130611_SignalRollups', '10.0.15');
    END IF;
END $EF$;
COMMIT;

START TRANSACTION;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261203130704_AuditReasonAndTokenEntries') THEN
    ALTER TABLE audit_log ALTER COLUMN kind DROP NOT NULL;
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261203130704_AuditReasonAndTokenEntries') THEN
    ALTER TABLE audit_log ADD reason character varying(1000);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261203130704_AuditReasonAndTokenEntries') THEN
    INSERT INTO "__EFMigrationsHistory" ("MigrationId", "ProductVersion")
    VALUES ('20261203130704_AuditReasonAndTokenEntries', '10.0.15');
    END IF;
END $EF$;
COMMIT;

START TRANSACTION;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261203155949_RolloutAnalyses') THEN
    ALTER TABLE rollout_states ADD analyses jsonb NOT NULL DEFAULT ('[]'::jsonb);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261203155949_RolloutAnalyses') THEN
    INSERT INTO "__EFMigrationsHistory" ("MigrationId", "ProductVersion")
    VALUES ('20261203155949_RolloutAnalyses', '10.0.15');
    END IF;
END $EF$;
COMMIT;

START TRANSACTION;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261204151804_VersionTotals') THEN
    CREATE TABLE version_totals (
        writer character varying(300) NOT NULL,
        namespace character varying(253) NOT NULL,
        service character varying(253) NOT NULL,
        version character varying(253) NOT NULL,
        first_written_at timestamp with time zone NOT NULL,
        requests bigint NOT NULL,
        failures bigint NOT NULL,
        latency_bucket_counts bigint[] NOT NULL,
        written_at timestamp with time zone NOT NULL,
        CONSTRAINT "PK_version_totals" PRIMARY KEY (namespace, service, version, writer)
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261204151804_VersionTotals') THEN
    CREATE INDEX "IX_version_totals_written_at" ON version_totals (written_at);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261204151804_VersionTotals') THEN
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
        -- Rollouts: the controller keeps their state; the portal shows it and queues commands.
        GRANT SELECT, INSERT ON rollout_states TO meshwork_portal;
        GRANT UPDATE (pending_command, pending_actor, pending_at) ON rollout_states TO meshwork_portal;
        GRANT SELECT, INSERT, UPDATE, DELETE ON rollout_states TO meshwork_control_plane;
        -- The controller's weight changes are audited changes of the route, as a person's are.
        GRANT UPDATE (version, spec, updated_at, updated_by) ON resources TO meshwork_control_plane;
        GRANT INSERT ON resource_revisions, audit_log TO meshwork_control_plane;
        -- Golden-signal history: each control plane replica writes its own minutes, the leader prunes; the portal reads.
        GRANT SELECT ON signal_rollups TO meshwork_portal;
        GRANT SELECT, INSERT, UPDATE, DELETE ON signal_rollups TO meshwork_control_plane;
        -- Per-version counts of every replica for the leader's rollout analysis; readable by the portal like every table.
        GRANT SELECT ON version_totals TO meshwork_portal;
        GRANT SELECT, INSERT, UPDATE, DELETE ON version_totals TO meshwork_control_plane;
    END
    $proc$;
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261204151804_VersionTotals') THEN
    CALL meshwork_apply_database_roles();
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261204151804_VersionTotals') THEN
    INSERT INTO "__EFMigrationsHistory" ("MigrationId", "ProductVersion")
    VALUES ('20261204151804_VersionTotals', '10.0.15');
    END IF;
END $EF$;
COMMIT;

START TRANSACTION;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261204153513_WebhookOutbox') THEN
    CREATE TABLE webhook_outbox (
        id bigint GENERATED ALWAYS AS IDENTITY,
        namespace character varying(253) NOT NULL,
        rollout character varying(253) NOT NULL,
        webhook character varying(63) NOT NULL,
        url character varying(2048) NOT NULL,
        timeout_ms integer NOT NULL,
        retries integer NOT NULL,
        payload jsonb NOT NULL,
        created_at timestamp with time zone NOT NULL,
        CONSTRAINT "PK_webhook_outbox" PRIMARY KEY (id)
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261204153513_WebhookOutbox') THEN
    CREATE INDEX "IX_webhook_outbox_namespace_rollout_webhook_id" ON webhook_outbox (namespace, rollout, webhook, id);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261204153513_WebhookOutbox') THEN
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
        -- Rollouts: the controller keeps their state; the portal shows it and queues commands.
        GRANT SELECT, INSERT ON rollout_states TO meshwork_portal;
        GRANT UPDATE (pending_command, pending_actor, pending_at) ON rollout_states TO meshwork_portal;
        GRANT SELECT, INSERT, UPDATE, DELETE ON rollout_states TO meshwork_control_plane;
        -- The controller's weight changes are audited changes of the route, as a person's are.
        GRANT UPDATE (version, spec, updated_at, updated_by) ON resources TO meshwork_control_plane;
        GRANT INSERT ON resource_revisions, audit_log TO meshwork_control_plane;
        -- Golden-signal history: each control plane replica writes its own minutes, the leader prunes; the portal reads.
        GRANT SELECT ON signal_rollups TO meshwork_portal;
        GRANT SELECT, INSERT, UPDATE, DELETE ON signal_rollups TO meshwork_control_plane;
        -- Per-version counts of every replica for the leader's rollout analysis; readable by the portal like every table.
        GRANT SELECT ON version_totals TO meshwork_portal;
        GRANT SELECT, INSERT, UPDATE, DELETE ON version_totals TO meshwork_control_plane;
        -- Rollout events waiting for their webhooks: the controller queues them, the leader delivers and deletes.
        GRANT SELECT ON webhook_outbox TO meshwork_portal;
        GRANT SELECT, INSERT, UPDATE, DELETE ON webhook_outbox TO meshwork_control_plane;
    END
    $proc$;
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261204153513_WebhookOutbox') THEN
    CALL meshwork_apply_database_roles();
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261204153513_WebhookOutbox') THEN
    INSERT INTO "__EFMigrationsHistory" ("MigrationId", "ProductVersion")
    VALUES ('20261204153513_WebhookOutbox', '10.0.15');
    END IF;
END $EF$;
COMMIT;

START TRANSACTION;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261205185242_TcpRollups') THEN
    CREATE TABLE tcp_rollups (
        minute timestamp with time zone NOT NULL,
        source_service character varying(253) NOT NULL,
        source_namespace character varying(253) NOT NULL,
        source_version character varying(253) NOT NULL,
        destination_service character varying(253) NOT NULL,
        destination_namespace character varying(253) NOT NULL,
        destination_version character varying(253) NOT NULL,
        writer character varying(300) NOT NULL,
        opened bigint NOT NULL,
        closed bigint NOT NULL,
        connect_failures bigint NOT NULL,
        denied bigint NOT NULL,
        received_bytes bigint NOT NULL,
        sent_bytes bigint NOT NULL,
        closed_duration_ms bigint NOT NULL,
        written_at timestamp with time zone NOT NULL,
        CONSTRAINT "PK_tcp_rollups" PRIMARY KEY (minute, source_service, source_namespace, source_version, destination_service, destination_namespace, destination_version, writer)
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261205185242_TcpRollups') THEN
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
        -- Rollouts: the controller keeps their state; the portal shows it and queues commands.
        GRANT SELECT, INSERT ON rollout_states TO meshwork_portal;
        GRANT UPDATE (pending_command, pending_actor, pending_at) ON rollout_states TO meshwork_portal;
        GRANT SELECT, INSERT, UPDATE, DELETE ON rollout_states TO meshwork_control_plane;
        -- The controller's weight changes are audited changes of the route, as a person's are.
        GRANT UPDATE (version, spec, updated_at, updated_by) ON resources TO meshwork_control_plane;
        GRANT INSERT ON resource_revisions, audit_log TO meshwork_control_plane;
        -- Golden-signal history: each control plane replica writes its own minutes, the leader prunes; the portal reads.
        GRANT SELECT ON signal_rollups TO meshwork_portal;
        GRANT SELECT, INSERT, UPDATE, DELETE ON signal_rollups TO meshwork_control_plane;
        -- Per-version counts of every replica for the leader's rollout analysis; readable by the portal like every table.
        GRANT SELECT ON version_totals TO meshwork_portal;
        GRANT SELECT, INSERT, UPDATE, DELETE ON version_totals TO meshwork_control_plane;
        -- Rollout events waiting for their webhooks: the controller queues them, the leader delivers and deletes.
        GRANT SELECT ON webhook_outbox TO meshwork_portal;
        GRANT SELECT, INSERT, UPDATE, DELETE ON webhook_outbox TO meshwork_control_plane;
        -- TCP edge history: every replica writes its own minutes, the leader prunes; the portal reads the charts.
        GRANT SELECT ON tcp_rollups TO meshwork_portal;
        GRANT SELECT, INSERT, UPDATE, DELETE ON tcp_rollups TO meshwork_control_plane;
    END
    $proc$;
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261205185242_TcpRollups') THEN
    CALL meshwork_apply_database_roles();
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261205185242_TcpRollups') THEN
    INSERT INTO "__EFMigrationsHistory" ("MigrationId", "ProductVersion")
    VALUES ('20261205185242_TcpRollups', '10.0.15');
    END IF;
END $EF$;
COMMIT;

