/**
 * Schema changes in order, in SQL both engines take (PostgreSQL's widens INTEGER and
 * REAL); each runs once, in a transaction. Never change what a shipped one does.
 */
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
  `
  CREATE TABLE labels (name TEXT PRIMARY KEY, team_id TEXT, created_at TEXT NOT NULL);
  CREATE TABLE tags (
    id TEXT PRIMARY KEY,
    call_id TEXT NOT NULL,
    offset_ms INTEGER NOT NULL,
    end_ms INTEGER,
    label TEXT NOT NULL,
    note TEXT,
    leg TEXT NOT NULL,
    author_id TEXT NOT NULL,
    author_name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    reviewed_at TEXT,
    reviewed_by TEXT,
    coached_at TEXT,
    coached_by TEXT
  );
  CREATE INDEX tags_call ON tags (call_id);
  CREATE INDEX tags_created ON tags (created_at);
  `,
  `
  ALTER TABLE calls ADD COLUMN reviewed_at TEXT;
  ALTER TABLE calls ADD COLUMN reviewed_by TEXT;
  CREATE TABLE comments (
    id TEXT PRIMARY KEY,
    call_id TEXT NOT NULL,
    tag_id TEXT,
    author_id TEXT NOT NULL,
    author_name TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE INDEX comments_call ON comments (call_id);
  `,
  `
  CREATE TABLE events (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    at TEXT NOT NULL,
    body TEXT NOT NULL,
    received_at TEXT NOT NULL
  );
  CREATE INDEX events_at ON events (at);
  `,
  `
  ALTER TABLE calls ADD COLUMN audio_json TEXT;
  ALTER TABLE calls ADD COLUMN discrepancies INTEGER NOT NULL DEFAULT 0;
  `,
  `
  CREATE TABLE reported_kpis (
    scope TEXT NOT NULL,
    metric TEXT NOT NULL,
    "window" TEXT NOT NULL,
    value REAL NOT NULL,
    source TEXT,
    at TEXT NOT NULL,
    PRIMARY KEY (scope, metric, "window")
  );
  `,
  `
  ALTER TABLE calls ADD COLUMN acd_json TEXT;
  `,
  `
  CREATE TABLE audit (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT,
    details TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
  );
  `,
  `
  CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    roles_json TEXT NOT NULL,
    demo INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
  );
  CREATE INDEX sessions_user ON sessions (user_id);
  CREATE TABLE ingest_tokens (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    prefix TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT
  );
  `,
  `
  ALTER TABLE org_agents ADD COLUMN addresses_json TEXT;
  ALTER TABLE calls ADD COLUMN participants_json TEXT;
  ALTER TABLE calls ADD COLUMN unmatched INTEGER NOT NULL DEFAULT 0;
  CREATE INDEX calls_ended ON calls (ended_at);
  ALTER TABLE calls ADD COLUMN last_activity_at TEXT;
  CREATE TABLE siprec_peers (
    id TEXT PRIMARY KEY,
    cidr TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
  );
  `,
  `
  ALTER TABLE calls ADD COLUMN episodes_json TEXT;
  `,
  `
  CREATE TABLE alert_rules (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    scope TEXT NOT NULL,
    threshold REAL,
    webhook_url TEXT,
    webhook_secret TEXT,
    webhook_error TEXT,
    webhook_failures INTEGER NOT NULL DEFAULT 0,
    created_by_id TEXT NOT NULL,
    created_by_name TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE TABLE alerts (
    id TEXT PRIMARY KEY,
    rule_id TEXT NOT NULL,
    body TEXT NOT NULL,
    raised_at TEXT NOT NULL,
    resolved_at TEXT
  );
  CREATE INDEX alerts_raised ON alerts (raised_at);
  `,
  `
  CREATE TABLE observations (
    id TEXT PRIMARY KEY,
    call_id TEXT NOT NULL,
    body TEXT NOT NULL,
    team_id TEXT NOT NULL,
    center_id TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE INDEX observations_at ON observations (created_at);
  CREATE TABLE observation_reasons (
    position INTEGER PRIMARY KEY,
    reason TEXT NOT NULL UNIQUE
  );
  `,
  `
  CREATE TABLE stream_integrations (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    lookup TEXT NOT NULL UNIQUE,
    key_hint TEXT NOT NULL,
    secret_sealed TEXT NOT NULL,
    settings_json TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    last_error TEXT,
    last_error_at TEXT
  );
  `,
  // Several nodes share one database: each call is owned by the node that taps it.
  `
  ALTER TABLE calls ADD COLUMN node_id TEXT NOT NULL DEFAULT '';
  CREATE INDEX calls_live_node ON calls (node_id, ended_at);
  CREATE INDEX events_received ON events (received_at);
  `,
  // QA evaluations: forms and their frozen versions, evaluations and their revisions,
  // disputes, sampling plans and their draws, calibration sessions, settings.
  `
  CREATE TABLE qa_forms (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT,
    status TEXT NOT NULL,
    draft_json TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE TABLE qa_form_versions (
    form_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    name TEXT NOT NULL,
    definition_json TEXT NOT NULL,
    published_at TEXT NOT NULL,
    published_by TEXT NOT NULL,
    PRIMARY KEY (form_id, version)
  );
  CREATE TABLE qa_evaluations (
    id TEXT PRIMARY KEY,
    call_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    calibration_id TEXT,
    form_id TEXT NOT NULL,
    form_version INTEGER NOT NULL,
    agent_id TEXT NOT NULL,
    agent_name TEXT NOT NULL,
    team_id TEXT NOT NULL,
    center_id TEXT NOT NULL,
    call_started_at TEXT NOT NULL,
    evaluator_id TEXT NOT NULL,
    evaluator_name TEXT NOT NULL,
    status TEXT NOT NULL,
    revision INTEGER NOT NULL DEFAULT 0,
    answers_json TEXT NOT NULL,
    score REAL,
    score_json TEXT,
    failed INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    submitted_at TEXT,
    acknowledged_at TEXT,
    dispute_until TEXT
  );
  CREATE INDEX qa_evaluations_call ON qa_evaluations (call_id);
  CREATE INDEX qa_evaluations_agent ON qa_evaluations (agent_id, kind);
  CREATE UNIQUE INDEX qa_evaluations_one ON qa_evaluations (call_id, evaluator_id, kind, form_id);
  CREATE TABLE qa_revisions (
    evaluation_id TEXT NOT NULL,
    revision INTEGER NOT NULL,
    answers_json TEXT NOT NULL,
    score_json TEXT NOT NULL,
    by_id TEXT NOT NULL,
    by_name TEXT NOT NULL,
    reason TEXT,
    at TEXT NOT NULL,
    PRIMARY KEY (evaluation_id, revision)
  );
  CREATE TABLE qa_disputes (
    id TEXT PRIMARY KEY,
    evaluation_id TEXT NOT NULL,
    revision INTEGER NOT NULL,
    comment TEXT NOT NULL,
    by_id TEXT NOT NULL,
    by_name TEXT NOT NULL,
    at TEXT NOT NULL,
    resolution TEXT,
    reason TEXT,
    resolved_by_id TEXT,
    resolved_by_name TEXT,
    resolved_at TEXT
  );
  CREATE INDEX qa_disputes_evaluation ON qa_disputes (evaluation_id);
  CREATE TABLE qa_plans (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    form_id TEXT NOT NULL,
    body_json TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE TABLE qa_draws (
    id TEXT PRIMARY KEY,
    plan_id TEXT NOT NULL,
    seed TEXT NOT NULL,
    period_from TEXT NOT NULL,
    period_to TEXT NOT NULL,
    drawn_at TEXT NOT NULL,
    drawn_by TEXT NOT NULL,
    eligible INTEGER NOT NULL,
    short_json TEXT NOT NULL
  );
  CREATE INDEX qa_draws_plan ON qa_draws (plan_id, drawn_at);
  CREATE TABLE qa_assignments (
    id TEXT PRIMARY KEY,
    draw_id TEXT NOT NULL,
    plan_id TEXT NOT NULL,
    call_id TEXT NOT NULL UNIQUE,
    agent_id TEXT NOT NULL,
    evaluator_id TEXT NOT NULL,
    flagged INTEGER NOT NULL
  );
  CREATE INDEX qa_assignments_evaluator ON qa_assignments (evaluator_id);
  CREATE TABLE qa_calibrations (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    call_id TEXT NOT NULL,
    form_id TEXT NOT NULL,
    form_version INTEGER NOT NULL,
    expert_id TEXT NOT NULL,
    evaluators_json TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    closed_at TEXT
  );
  CREATE TABLE qa_settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
  `,
];
