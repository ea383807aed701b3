/** Schema changes in order; each runs once, in a transaction. Never edit a shipped one. */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE org_regions (id TEXT PRIMARY KEY, name TEXT NOT NULL);
  CREATE TABLE org_centers (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, region_id TEXT NOT NULL, time_zone TEXT NOT NULL
  );
  CREATE TABLE org_teams (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, center_id TEXT NOT NULL,
    specialty INTEGER NOT NULL, hours_open TEXT, hours_close TEXT
  );
  CREATE TABLE org_agents (id TEXT PRIMARY KEY, name TEXT NOT NULL, team_id TEXT NOT NULL);

  CREATE TABLE calls (
    id TEXT PRIMARY KEY,
    external_id TEXT,
    center_id TEXT NOT NULL,
    region_id TEXT NOT NULL,
    team_id TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    agent_name TEXT NOT NULL,
    customer_number TEXT,
    customer_name TEXT,
    codec TEXT NOT NULL,
    payload_type INTEGER NOT NULL,
    state TEXT NOT NULL,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    end_reason TEXT,
    legs_json TEXT
  );
  CREATE INDEX calls_live ON calls (ended_at) WHERE ended_at IS NULL;
  CREATE INDEX calls_started ON calls (started_at);
  `,
];
