/**
 * The catalogue tables of federations (postgres-federation-store.ts): one migration of
 * `PG_MIGRATIONS` (space-schema.ts), kept here beside its store. They are catalogue tables, so
 * reference tables on Citus; ε is kept in whole millionths, so budgets add up exactly.
 */
export const FEDERATION_TABLES = `
  CREATE TABLE federations (
    id text PRIMARY KEY,
    topic text NOT NULL,
    mechanism text NOT NULL,
    epsilon_micro bigint NOT NULL,
    delta double precision,
    min_participants integer NOT NULL,
    created_at bigint NOT NULL,
    created_by text,
    release_seq bigint NOT NULL DEFAULT 0
  );
  CREATE TABLE federation_participants (
    federation_id text NOT NULL,
    space_key text COLLATE "C" NOT NULL,      -- lower(space)
    space text NOT NULL,
    space_created_at bigint NOT NULL,        -- a later space of the same name is another participant
    privacy text NOT NULL,
    alias text NOT NULL,
    budget_micro bigint NOT NULL,
    spent_micro bigint NOT NULL,
    joined_at bigint NOT NULL,
    withdrawn_at bigint,
    withdraw_reason text,
    contributions bigint NOT NULL,
    clipped bigint NOT NULL,
    last_contribution_at bigint,
    PRIMARY KEY (federation_id, space_key)
  );
  CREATE INDEX federation_participants_space ON federation_participants (space_key);
  CREATE TABLE federation_releases (
    federation_id text NOT NULL,
    seq bigint NOT NULL,
    id text NOT NULL UNIQUE,
    kind text NOT NULL,
    params jsonb NOT NULL,
    state text NOT NULL,
    mechanism text NOT NULL,
    epsilon_micro bigint NOT NULL,
    delta double precision,
    contributors integer NOT NULL,
    result jsonb,
    created_at bigint NOT NULL,
    created_by text,
    PRIMARY KEY (federation_id, seq)
  );
  `;
