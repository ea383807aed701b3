import { randomUUID } from 'node:crypto';
import type {
  Answer,
  Call,
  Dispute,
  Evaluation,
  EvaluationKind,
  EvaluationQuery,
  EvaluationRevision,
  EvaluationStatus,
  EvaluationSummary,
  QaSettings,
  ResolveDisputeRequest,
  Score,
} from '@earshot/shared';
import type { AuditEntry } from '../audit/AuditLog.ts';
import { outOfScope, reachSql } from '../auth/Access.ts';
import type { Principal } from '../auth/AuthService.ts';
import { actorOf } from '../auth/AuthService.ts';
import type { CallService } from '../calls/CallService.ts';
import type { Database, SqlValue } from '../db/Database.ts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../errors.ts';
import type { TagService } from '../tags/TagService.ts';
import type { FormService } from './FormService.ts';
import { checkAnswers, scoreAnswers } from './scoring.ts';

export interface EvaluationRow {
  id: string;
  call_id: string;
  kind: EvaluationKind;
  calibration_id: string | null;
  form_id: string;
  form_version: number;
  agent_id: string;
  agent_name: string;
  team_id: string;
  center_id: string;
  call_started_at: string;
  evaluator_id: string;
  evaluator_name: string;
  status: EvaluationStatus;
  revision: number;
  answers_json: string;
  score: number | null;
  score_json: string | null;
  failed: number;
  created_at: string;
  updated_at: string;
  submitted_at: string | null;
  acknowledged_at: string | null;
  dispute_until: string | null;
  form_name?: string;
  open_dispute?: number;
}

interface RevisionRow {
  revision: number;
  answers_json: string;
  score_json: string;
  by_id: string;
  by_name: string;
  reason: string | null;
  at: string;
}

interface DisputeRow {
  id: string;
  revision: number;
  comment: string;
  by_id: string;
  by_name: string;
  at: string;
  resolution: 'upheld' | 'rescored' | null;
  reason: string | null;
  resolved_by_id: string | null;
  resolved_by_name: string | null;
  resolved_at: string | null;
}

/** Until the admin says otherwise: a week to dispute, once per evaluation. */
export const DEFAULT_QA_SETTINGS: QaSettings = { disputeWindowDays: 7, maxDisputes: 1 };
/** Labels of tags meant for the agent: an agent sees these on their evaluated calls. */
export const AGENT_LABELS = new Set(['coaching', 'praise']);
const DAY_MS = 86_400_000;

const SELECT = `SELECT e.*, f.name AS form_name,
  (SELECT COUNT(*) FROM qa_disputes d WHERE d.evaluation_id = e.id AND d.resolved_at IS NULL) AS open_dispute
  FROM qa_evaluations e JOIN qa_forms f ON f.id = e.form_id`;

export function summaryOf(row: EvaluationRow): EvaluationSummary {
  return {
    id: row.id,
    callId: row.call_id,
    kind: row.kind,
    calibrationId: row.calibration_id,
    form: { id: row.form_id, name: row.form_name ?? '', version: row.form_version },
    agent: { id: row.agent_id, name: row.agent_name },
    team: row.team_id,
    center: row.center_id,
    evaluator: { id: row.evaluator_id, name: row.evaluator_name },
    status: row.status,
    revision: row.revision,
    score: row.score,
    failed: row.failed === 1,
    callStartedAt: row.call_started_at,
    createdAt: row.created_at,
    submittedAt: row.submitted_at,
    acknowledgedAt: row.acknowledged_at,
    disputeUntil: row.dispute_until,
    openDispute: Number(row.open_dispute ?? 0) > 0,
  };
}

/**
 * Evaluations of recorded calls against published forms: drafts, submissions scored by
 * the server alone, the agent's acknowledgement or dispute, and re-scores that keep every
 * earlier revision. Every step is in the audit trail.
 */
export class EvaluationService {
  readonly #db: Database;
  readonly #calls: CallService;
  readonly #tags: TagService;
  readonly #forms: FormService;
  readonly #record: (entry: AuditEntry) => void;

  constructor(deps: {
    db: Database;
    calls: CallService;
    tags: TagService;
    forms: FormService;
    record: (entry: AuditEntry) => void;
  }) {
    this.#db = deps.db;
    this.#calls = deps.calls;
    this.#tags = deps.tags;
    this.#forms = deps.forms;
    this.#record = deps.record;
  }

  async settings(): Promise<QaSettings> {
    const rows = await this.#db.all<{ name: string; value: string }>('SELECT * FROM qa_settings');
    const stored = Object.fromEntries(rows.map((r) => [r.name, Number(r.value)]));
    return { ...DEFAULT_QA_SETTINGS, ...stored };
  }

  async setSettings(settings: QaSettings, by: AuditEntry['actor']): Promise<QaSettings> {
    await this.#db.transaction(async (db) => {
      for (const [name, value] of Object.entries(settings))
        await db.run(
          'INSERT INTO qa_settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value',
          [name, String(value)],
        );
    });
    this.#record({ actor: by, action: 'qa.settings', target: null, details: { ...settings } });
    return this.settings();
  }

  async #row(id: string): Promise<EvaluationRow> {
    const row = await this.#db.get<EvaluationRow>(`${SELECT} WHERE e.id = ?`, [id]);
    if (!row) throw new NotFoundError(`no evaluation with id "${id.slice(0, 64)}"`);
    return row;
  }

  /** Whether a user may read an evaluation: its agent (once submitted), or its reviewers. */
  #maySee(row: EvaluationRow, who: Principal): boolean {
    const { access } = who;
    if (access.agent !== null)
      return row.kind === 'standard' && row.status !== 'draft' && row.agent_id === access.agent;
    if (!access.canReview({ team: row.team_id, center: row.center_id })) return false;
    // Drafts and calibration scores are their evaluator's until submitted (blind), except to leads.
    if (row.evaluator_id === who.user.id || access.qaLead) return true;
    return row.status !== 'draft' && row.kind === 'standard';
  }

  /** The evaluation a user may read (404 for none; 403, audited, outside their reach). */
  async #visible(id: string, who: Principal): Promise<EvaluationRow> {
    const row = await this.#row(id);
    if (!this.#maySee(row, who)) {
      this.#record({ actor: actorOf(who), action: 'evaluation.denied', target: id, details: {} });
      throw new ForbiddenError('this evaluation is not yours to see');
    }
    return row;
  }

  /** A recorded call a QA reviewer may evaluate. */
  async #evaluable(callId: string, who: Principal): Promise<Call> {
    if (!who.access.evaluate) throw new ForbiddenError('only a QA reviewer evaluates calls');
    const call = await this.#calls.get(callId);
    if (!who.access.canReview(call)) throw outOfScope(call);
    if (!call.endedAt)
      throw new ConflictError('the call is still live: evaluate it once it has ended');
    return call;
  }

  /**
   * A new draft with the form's current version (or, for calibration, the session's); the
   * evaluator's existing one for the same call and form is returned instead of a second.
   */
  async create(
    callId: string,
    formId: string,
    who: Principal,
    calibration?: { id: string; version: number },
  ): Promise<{ evaluation: Evaluation; created: boolean }> {
    const call = await this.#evaluable(callId, who);
    const kind: EvaluationKind = calibration ? 'calibration' : 'standard';
    const existing = await this.#db.get<{ id: string }>(
      'SELECT id FROM qa_evaluations WHERE call_id = ? AND evaluator_id = ? AND kind = ? AND form_id = ?',
      [callId, who.user.id, kind, formId],
    );
    if (existing) return { evaluation: await this.get(existing.id, who), created: false };
    const version = calibration
      ? await this.#forms.version(formId, calibration.version)
      : await this.#forms.current(formId);
    const id = randomUUID();
    const now = new Date().toISOString();
    const changes = await this.#db.run(
      `INSERT INTO qa_evaluations (id, call_id, kind, calibration_id, form_id, form_version, agent_id, agent_name, team_id, center_id,
        call_started_at, evaluator_id, evaluator_name, status, revision, answers_json, created_at, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'draft', 0, '[]', ?, ?) ON CONFLICT DO NOTHING`,
      [
        id,
        callId,
        kind,
        calibration?.id ?? null,
        formId,
        version.version,
        call.agent.id,
        call.agent.name,
        call.team,
        call.center,
        call.startedAt,
        who.user.id,
        who.user.name,
        now,
        now,
      ],
    );
    if (changes.changes === 0) return this.create(callId, formId, who, calibration);
    this.#record({
      actor: actorOf(who),
      action: 'evaluation.create',
      target: id,
      details: { callId, formId, version: version.version, kind, agent: call.agent.id },
    });
    return { evaluation: await this.get(id, who), created: true };
  }

  async get(id: string, who: Principal): Promise<Evaluation> {
    return this.#full(await this.#visible(id, who), who);
  }

  async #full(row: EvaluationRow, who: Principal): Promise<Evaluation> {
    const [version, revisions, disputes, settings] = await Promise.all([
      this.#forms.version(row.form_id, row.form_version),
      this.#db.all<RevisionRow>(
        'SELECT * FROM qa_revisions WHERE evaluation_id = ? ORDER BY revision',
        [row.id],
      ),
      this.#db.all<DisputeRow>('SELECT * FROM qa_disputes WHERE evaluation_id = ? ORDER BY at', [
        row.id,
      ]),
      this.settings(),
    ]);
    const call = await this.#calls.get(row.call_id).catch(() => undefined);
    const tags = call ? await this.#tags.forCall(row.call_id) : [];
    return {
      ...summaryOf(row),
      definition: version.definition,
      answers: JSON.parse(row.answers_json) as Answer[],
      result: row.score_json ? (JSON.parse(row.score_json) as Score) : null,
      revisions: revisions.map((r): EvaluationRevision => ({
        revision: r.revision,
        answers: JSON.parse(r.answers_json) as Answer[],
        score: JSON.parse(r.score_json) as Score,
        by: { id: r.by_id, name: r.by_name },
        reason: r.reason,
        at: r.at,
      })),
      disputes: disputes.map((d): Dispute => ({
        id: d.id,
        revision: d.revision,
        comment: d.comment,
        by: { id: d.by_id, name: d.by_name },
        at: d.at,
        resolution: d.resolution,
        reason: d.reason,
        resolvedBy: d.resolved_by_id
          ? { id: d.resolved_by_id, name: d.resolved_by_name ?? '' }
          : null,
        resolvedAt: d.resolved_at,
      })),
      disputesLeft: Math.max(0, settings.maxDisputes - disputes.length),
      call: {
        startedAt: row.call_started_at,
        endedAt: call?.endedAt ?? null,
        durationMs: call?.endedAt ? Date.parse(call.endedAt) - Date.parse(call.startedAt) : null,
      },
      // The agent sees the tags meant for them; reviewers read every tag on the replay page.
      tags: who.access.agent !== null ? tags.filter((t) => AGENT_LABELS.has(t.label)) : tags,
    };
  }

  async list(query: EvaluationQuery, who: Principal): Promise<EvaluationSummary[]> {
    const where = ['e.kind = ?'];
    const params: SqlValue[] = [query.kind];
    const add = (clause: string, ...values: SqlValue[]) => {
      where.push(clause);
      params.push(...values);
    };
    if (who.access.agent !== null) {
      add('e.agent_id = ?', who.access.agent);
      add("e.status <> 'draft'");
      add("e.kind = 'standard'");
    } else {
      const scope = reachSql(who.access.review, 'e.team_id', 'e.center_id');
      add(scope.sql, ...scope.params);
      if (!who.access.qaLead) add("(e.status <> 'draft' OR e.evaluator_id = ?)", who.user.id);
      if (!who.access.qaLead && query.kind === 'calibration')
        add('e.evaluator_id = ?', who.user.id);
    }
    if (query.agent) add('e.agent_id = ?', query.agent);
    if (query.team) add('e.team_id = ?', query.team);
    if (query.evaluator)
      add('e.evaluator_id = ?', query.evaluator === 'me' ? who.user.id : query.evaluator);
    if (query.status) add('e.status = ?', query.status);
    if (query.callId) add('e.call_id = ?', query.callId);
    const rows = await this.#db.all<EvaluationRow>(
      `${SELECT} WHERE ${where.join(' AND ')} ORDER BY e.updated_at DESC, e.id LIMIT ?`,
      [...params, query.limit],
    );
    return rows.map(summaryOf);
  }

  /** The evaluator's own draft (403 for anyone else, 409 once submitted). */
  async #ownDraft(id: string, who: Principal): Promise<EvaluationRow> {
    const row = await this.#visible(id, who);
    if (row.evaluator_id !== who.user.id)
      throw new ForbiddenError('only its evaluator edits an evaluation');
    if (row.status !== 'draft')
      throw new ConflictError('the evaluation is submitted: it changes only by a re-score');
    return row;
  }

  async #checkCitations(row: EvaluationRow, answers: Answer[]): Promise<void> {
    const call = await this.#calls.get(row.call_id);
    const length = call.endedAt ? Date.parse(call.endedAt) - Date.parse(call.startedAt) : Infinity;
    const tags = new Set((await this.#tags.forCall(row.call_id)).map((t) => t.id));
    const issues: { path: string; message: string }[] = [];
    answers.forEach((a, i) =>
      a.citations.forEach((c, j) => {
        if (c.atMs > length)
          issues.push({
            path: `answers.${i}.citations.${j}.atMs`,
            message: `is past the call's end (${length} ms)`,
          });
        if (c.tagId && !tags.has(c.tagId))
          issues.push({
            path: `answers.${i}.citations.${j}.tagId`,
            message: 'is not a tag of this call',
          });
      }),
    );
    if (issues.length) throw new ValidationError('a citation is not a moment of this call', issues);
  }

  async saveDraft(id: string, answers: Answer[], who: Principal): Promise<Evaluation> {
    const row = await this.#ownDraft(id, who);
    const form = await this.#forms.version(row.form_id, row.form_version);
    checkAnswers(form.definition, answers, false);
    await this.#checkCitations(row, answers);
    const { changes } = await this.#db.run(
      "UPDATE qa_evaluations SET answers_json = ?, updated_at = ? WHERE id = ? AND status = 'draft'",
      [JSON.stringify(answers), new Date().toISOString(), id],
    );
    if (changes === 0) throw new ConflictError('the evaluation was submitted meanwhile');
    return this.get(id, who);
  }

  /** Scores complete answers and writes them as a new revision; the caller holds the row. */
  async #score(
    db: Database,
    row: EvaluationRow,
    answers: Answer[],
    who: Principal,
    reason: string | null,
  ): Promise<Score> {
    const form = await this.#forms.version(row.form_id, row.form_version);
    checkAnswers(form.definition, answers, true);
    await this.#checkCitations(row, answers);
    const score = scoreAnswers(form.definition, answers);
    const now = new Date().toISOString();
    const revision = row.revision + 1;
    await db.run(
      'INSERT INTO qa_revisions (evaluation_id, revision, answers_json, score_json, by_id, by_name, reason, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      [
        row.id,
        revision,
        JSON.stringify(answers),
        JSON.stringify(score),
        who.user.id,
        who.user.name,
        reason,
        now,
      ],
    );
    await db.run(
      `UPDATE qa_evaluations SET status = 'submitted', revision = ?, answers_json = ?, score = ?, score_json = ?, failed = ?,
        updated_at = ?, submitted_at = COALESCE(submitted_at, ?) WHERE id = ?`,
      [
        revision,
        JSON.stringify(answers),
        score.score,
        JSON.stringify(score),
        score.failed ? 1 : 0,
        now,
        now,
        row.id,
      ],
    );
    return score;
  }

  /** Submits: the server scores the answers; nothing the client says of a score counts. */
  async submit(id: string, answers: Answer[], who: Principal): Promise<Evaluation> {
    await this.#ownDraft(id, who);
    const score = await this.#db.transaction(async (db) => {
      await db.lock(`evaluation:${id}`);
      const row = await db.get<EvaluationRow>('SELECT * FROM qa_evaluations WHERE id = ?', [id]);
      if (row?.status !== 'draft')
        throw new ConflictError('the evaluation was submitted meanwhile');
      const score = await this.#score(db, row, answers, who, null);
      if (row.kind === 'standard') {
        const { disputeWindowDays } = await this.settings();
        await db.run('UPDATE qa_evaluations SET dispute_until = ? WHERE id = ?', [
          new Date(Date.now() + disputeWindowDays * DAY_MS).toISOString(),
          id,
        ]);
      }
      return score;
    });
    this.#record({
      actor: actorOf(who),
      action: 'evaluation.submit',
      target: id,
      details: { score: score.score, failed: score.failed, revision: 1 },
    });
    return this.get(id, who);
  }

  /** The agent's own submitted evaluation. */
  async #agentsOwn(id: string, who: Principal): Promise<EvaluationRow> {
    if (who.access.agent === null) throw new ForbiddenError('only the evaluated agent does this');
    return this.#visible(id, who);
  }

  async acknowledge(id: string, who: Principal): Promise<Evaluation> {
    const row = await this.#agentsOwn(id, who);
    if (row.status === 'acknowledged') return this.get(id, who);
    const { changes } = await this.#db.run(
      "UPDATE qa_evaluations SET status = 'acknowledged', acknowledged_at = ?, updated_at = ? WHERE id = ? AND status = 'submitted'",
      [new Date().toISOString(), new Date().toISOString(), id],
    );
    if (changes === 0)
      throw new ConflictError('a disputed evaluation is acknowledged once the dispute is settled');
    this.#record({
      actor: actorOf(who),
      action: 'evaluation.acknowledge',
      target: id,
      details: { revision: row.revision },
    });
    return this.get(id, who);
  }

  async dispute(id: string, comment: string, who: Principal): Promise<Evaluation> {
    await this.#agentsOwn(id, who);
    const settings = await this.settings();
    const revision = await this.#db.transaction(async (db) => {
      await db.lock(`evaluation:${id}`);
      const row = await db.get<EvaluationRow>('SELECT * FROM qa_evaluations WHERE id = ?', [id]);
      if (!row) throw new NotFoundError(`no evaluation with id "${id.slice(0, 64)}"`);
      if (row.status === 'acknowledged')
        throw new ConflictError('the evaluation is acknowledged: it can no longer be disputed');
      if (row.status === 'disputed') throw new ConflictError('the evaluation is already disputed');
      if (row.dispute_until && Date.now() > Date.parse(row.dispute_until))
        throw new ConflictError(`the time to dispute ended at ${row.dispute_until}`);
      const { count } = (await db.get<{ count: number }>(
        'SELECT COUNT(*) AS count FROM qa_disputes WHERE evaluation_id = ?',
        [id],
      ))!;
      if (Number(count) >= settings.maxDisputes)
        throw new ConflictError(
          `an evaluation may be disputed at most ${settings.maxDisputes} time(s)`,
        );
      await db.run(
        'INSERT INTO qa_disputes (id, evaluation_id, revision, comment, by_id, by_name, at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        [
          randomUUID(),
          id,
          row.revision,
          comment,
          who.user.id,
          who.user.name,
          new Date().toISOString(),
        ],
      );
      await db.run("UPDATE qa_evaluations SET status = 'disputed', updated_at = ? WHERE id = ?", [
        new Date().toISOString(),
        id,
      ]);
      return row.revision;
    });
    this.#record({
      actor: actorOf(who),
      action: 'evaluation.dispute',
      target: id,
      details: { revision, comment },
    });
    return this.get(id, who);
  }

  /** The evaluator (or a QA lead) settles a dispute: upholds the score or re-scores. */
  async resolve(id: string, request: ResolveDisputeRequest, who: Principal): Promise<Evaluation> {
    const seen = await this.#visible(id, who);
    if (who.access.agent !== null || (seen.evaluator_id !== who.user.id && !who.access.qaLead))
      throw new ForbiddenError('only its evaluator or a QA lead settles a dispute');
    const outcome = await this.#db.transaction(async (db) => {
      await db.lock(`evaluation:${id}`);
      const row = await db.get<EvaluationRow>('SELECT * FROM qa_evaluations WHERE id = ?', [id]);
      if (row?.status !== 'disputed') throw new ConflictError('the evaluation has no open dispute');
      const score =
        request.decision === 'rescore'
          ? await this.#score(db, row, request.answers, who, request.reason)
          : null;
      const now = new Date().toISOString();
      await db.run(
        'UPDATE qa_disputes SET resolution = ?, reason = ?, resolved_by_id = ?, resolved_by_name = ?, resolved_at = ? WHERE evaluation_id = ? AND resolved_at IS NULL',
        [score ? 'rescored' : 'upheld', request.reason, who.user.id, who.user.name, now, id],
      );
      await db.run("UPDATE qa_evaluations SET status = 'submitted', updated_at = ? WHERE id = ?", [
        now,
        id,
      ]);
      return { score, from: row.score, revision: row.revision + (score ? 1 : 0) };
    });
    this.#record({
      actor: actorOf(who),
      action: outcome.score ? 'evaluation.rescore' : 'evaluation.uphold',
      target: id,
      details: {
        reason: request.reason,
        revision: outcome.revision,
        ...(outcome.score ? { from: outcome.from, to: outcome.score.score } : {}),
      },
    });
    return this.get(id, who);
  }

  /** Whether an agent may replay a call: one of their submitted evaluations is of it. */
  async agentMayReplay(callId: string, agentId: string): Promise<boolean> {
    const row = await this.#db.get<{ id: string }>(
      "SELECT id FROM qa_evaluations WHERE call_id = ? AND agent_id = ? AND kind = 'standard' AND status <> 'draft'",
      [callId, agentId],
    );
    return !!row;
  }

  /** Rows for results: submitted standard evaluations within reach. */
  async submitted(
    who: Principal,
    filter: { team?: string; agent?: string; formId?: string; from?: string; to?: string },
  ) {
    const scope = reachSql(who.access.review, 'e.team_id', 'e.center_id');
    const where = ["e.kind = 'standard'", "e.status <> 'draft'", scope.sql];
    const params: SqlValue[] = [...scope.params];
    const add = (clause: string, value: string) => {
      where.push(clause);
      params.push(value);
    };
    if (filter.team) add('e.team_id = ?', filter.team);
    if (filter.agent) add('e.agent_id = ?', filter.agent);
    if (filter.formId) add('e.form_id = ?', filter.formId);
    if (filter.from) add('e.call_started_at >= ?', new Date(filter.from).toISOString());
    if (filter.to) add('e.call_started_at <= ?', new Date(filter.to).toISOString());
    const rows = await this.#db.all<EvaluationRow>(
      `${SELECT} WHERE ${where.join(' AND ')} ORDER BY e.call_started_at`,
      params,
    );
    return rows;
  }
}
