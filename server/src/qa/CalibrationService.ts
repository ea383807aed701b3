import { randomUUID } from 'node:crypto';
import type {
  CalibrationReport,
  CalibrationSummary,
  CreateCalibrationRequest,
  Evaluation,
  Results,
  ResultsGroup,
  ResultsQuery,
  Score,
} from '@earshot/shared';
import type { AuditEntry } from '../audit/AuditLog.ts';
import { outOfScope } from '../auth/Access.ts';
import type { AuthService, Principal } from '../auth/AuthService.ts';
import { actorOf } from '../auth/AuthService.ts';
import type { CallService } from '../calls/CallService.ts';
import type { Database } from '../db/Database.ts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../errors.ts';
import type { OrgRepository } from '../org/OrgRepository.ts';
import type { EvaluationRow, EvaluationService } from './EvaluationService.ts';
import type { FormService } from './FormService.ts';
import { groupInto } from '../util/groupInto.ts';
import { questionsOf } from './scoring.ts';

interface CalibrationRow {
  id: string;
  name: string;
  call_id: string;
  form_id: string;
  form_version: number;
  expert_id: string;
  evaluators_json: string;
  created_by: string;
  created_at: string;
  closed_at: string | null;
}

const round1 = (n: number) => Math.round(n * 10) / 10;
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

/** Monday (UTC) of the ISO week a moment is in, as a date. */
function weekOf(at: string): string {
  const d = new Date(at);
  const monday = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  monday.setUTCDate(monday.getUTCDate() - ((monday.getUTCDay() + 6) % 7));
  return monday.toISOString().slice(0, 10);
}

/**
 * Calibration: one call scored blind by several evaluators against an expert's reference,
 * and the results of evaluations (calibration scores never count toward an agent's).
 */
export class CalibrationService {
  readonly #db: Database;
  readonly #calls: CallService;
  readonly #forms: FormService;
  readonly #evaluations: EvaluationService;
  readonly #auth: AuthService;
  readonly #org: OrgRepository;
  readonly #record: (entry: AuditEntry) => void;

  constructor(deps: {
    db: Database;
    calls: CallService;
    forms: FormService;
    evaluations: EvaluationService;
    auth: AuthService;
    org: OrgRepository;
    record: (entry: AuditEntry) => void;
  }) {
    this.#db = deps.db;
    this.#calls = deps.calls;
    this.#forms = deps.forms;
    this.#evaluations = deps.evaluations;
    this.#auth = deps.auth;
    this.#org = deps.org;
    this.#record = deps.record;
  }

  async create(request: CreateCalibrationRequest, who: Principal): Promise<CalibrationReport> {
    const call = await this.#calls.get(request.callId);
    if (!who.access.canReview(call)) throw outOfScope(call);
    if (!call.endedAt)
      throw new ConflictError('the call is still live: calibrate on a recorded call');
    const version = await this.#forms.current(request.formId);
    const users = new Map((await this.#auth.list()).map((u) => [u.id, u]));
    const evaluators = request.evaluators.filter((id) => id !== request.expertId);
    const issues: { path: string; message: string }[] = [];
    const check = (id: string, path: string) => {
      if (!users.get(id)?.roles.some((r) => r.role === 'qa'))
        issues.push({ path, message: `no QA reviewer with id "${id.slice(0, 64)}"` });
    };
    check(request.expertId, 'expertId');
    request.evaluators.forEach((id, i) => check(id, `evaluators.${i}`));
    if (evaluators.length === 0)
      issues.push({
        path: 'evaluators',
        message: 'name at least one evaluator besides the expert',
      });
    if (issues.length) throw new ValidationError('the session names who cannot take part', issues);
    const id = randomUUID();
    await this.#db.run(
      'INSERT INTO qa_calibrations (id, name, call_id, form_id, form_version, expert_id, evaluators_json, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [
        id,
        request.name,
        call.id,
        request.formId,
        version.version,
        request.expertId,
        JSON.stringify(evaluators),
        who.user.name,
        new Date().toISOString(),
      ],
    );
    this.#record({
      actor: actorOf(who),
      action: 'qa.calibration.create',
      target: id,
      details: { callId: call.id, formId: request.formId, expert: request.expertId, evaluators },
    });
    return this.report(id, who);
  }

  async #row(id: string): Promise<CalibrationRow> {
    const row = await this.#db.get<CalibrationRow>('SELECT * FROM qa_calibrations WHERE id = ?', [
      id,
    ]);
    if (!row) throw new NotFoundError(`no calibration session with id "${id.slice(0, 64)}"`);
    return row;
  }

  #participants(row: CalibrationRow): string[] {
    return [row.expert_id, ...(JSON.parse(row.evaluators_json) as string[])];
  }

  async #summary(row: CalibrationRow, rows: EvaluationRow[]): Promise<CalibrationSummary> {
    const names = new Map((await this.#auth.list()).map((u) => [u.id, u.name]));
    const form = await this.#forms.version(row.form_id, row.form_version);
    return {
      id: row.id,
      name: row.name,
      callId: row.call_id,
      form: { id: row.form_id, name: form.name, version: row.form_version },
      participants: this.#participants(row).map((id) => {
        const evaluation = rows.find((e) => e.evaluator_id === id);
        return {
          id,
          name: names.get(id) ?? '(removed user)',
          expert: id === row.expert_id,
          evaluationId: evaluation?.id ?? null,
          submitted: !!evaluation && evaluation.status !== 'draft',
        };
      }),
      createdBy: row.created_by,
      createdAt: row.created_at,
      closedAt: row.closed_at,
    };
  }

  #evaluationsOf(id: string): Promise<EvaluationRow[]> {
    return this.#db.all<EvaluationRow>(
      "SELECT * FROM qa_evaluations WHERE calibration_id = ? AND kind = 'calibration'",
      [id],
    );
  }

  async list(who: Principal): Promise<CalibrationSummary[]> {
    const rows = await this.#db.all<CalibrationRow>(
      'SELECT * FROM qa_calibrations ORDER BY created_at DESC LIMIT 200',
    );
    const mine = rows.filter(
      (r) => who.access.qaLead || this.#participants(r).includes(who.user.id),
    );
    return Promise.all(mine.map(async (r) => this.#summary(r, await this.#evaluationsOf(r.id))));
  }

  /**
   * The session and its deviations. Blind: until it is closed, a participant who is not a
   * QA lead sees who has submitted, never a score.
   */
  async report(id: string, who: Principal): Promise<CalibrationReport> {
    const row = await this.#row(id);
    const participant = this.#participants(row).includes(who.user.id);
    if (!who.access.qaLead && !participant)
      throw new ForbiddenError('you do not take part in this session');
    const rows = await this.#evaluationsOf(id);
    const summary = await this.#summary(row, rows);
    const form = await this.#forms.version(row.form_id, row.form_version);
    const questions = questionsOf(form.definition).filter((q) => q.question.kind !== 'text');
    const blind = !who.access.qaLead && !row.closed_at;
    const scoreOf = (e: EvaluationRow | undefined) =>
      e && e.status !== 'draft' && e.score_json ? (JSON.parse(e.score_json) as Score) : null;
    const reference = scoreOf(rows.find((e) => e.evaluator_id === row.expert_id));
    const earnedOf = (score: Score | null, questionId: string) =>
      score?.questions.find((q) => q.questionId === questionId)?.earned ?? null;
    return {
      ...summary,
      reference:
        !blind && reference?.score !== null && reference?.score !== undefined
          ? { score: reference.score, failed: reference.failed }
          : null,
      questions: questions.map(({ question }) => ({
        questionId: question.id,
        text: question.text,
        reference: blind ? null : earnedOf(reference, question.id),
      })),
      evaluators: blind
        ? []
        : summary.participants
            .filter((p) => !p.expert)
            .map((p) => {
              const score = scoreOf(rows.find((e) => e.evaluator_id === p.id));
              const perQuestion = questions.map(({ question }) => {
                const earned = earnedOf(score, question.id);
                const ref = earnedOf(reference, question.id);
                return {
                  questionId: question.id,
                  earned,
                  deviation:
                    earned === null || ref === null ? null : round1(Math.abs(earned - ref) * 100),
                };
              });
              const deviations = perQuestion.flatMap((q) =>
                q.deviation === null ? [] : [q.deviation],
              );
              const m = mean(deviations);
              return {
                id: p.id,
                name: p.name,
                score: score?.score ?? null,
                deviation:
                  score?.score !== null &&
                  score?.score !== undefined &&
                  reference?.score !== null &&
                  reference?.score !== undefined
                    ? round1(Math.abs(score.score - reference.score))
                    : null,
                meanQuestionDeviation: m === null ? null : round1(m),
                questions: perQuestion,
              };
            }),
    };
  }

  /** A participant's blind evaluation of the session's call (their draft if they have one). */
  async evaluate(
    id: string,
    who: Principal,
  ): Promise<{ evaluation: Evaluation; created: boolean }> {
    const row = await this.#row(id);
    if (!this.#participants(row).includes(who.user.id))
      throw new ForbiddenError('you do not take part in this session');
    if (row.closed_at) throw new ConflictError('the session is closed');
    return this.#evaluations.create(row.call_id, row.form_id, who, {
      id,
      version: row.form_version,
    });
  }

  async close(id: string, who: Principal): Promise<CalibrationReport> {
    const row = await this.#row(id);
    if (!row.closed_at) {
      await this.#db.run('UPDATE qa_calibrations SET closed_at = ? WHERE id = ?', [
        new Date().toISOString(),
        id,
      ]);
      this.#record({
        actor: actorOf(who),
        action: 'qa.calibration.close',
        target: id,
        details: {},
      });
    }
    return this.report(id, who);
  }

  /** Scores per agent and team, per-question failure rates, and evaluators' consistency. */
  async results(query: ResultsQuery, who: Principal): Promise<Results> {
    const rows = await this.#evaluations.submitted(who, query);
    const org = await this.#org.get();
    const teamName = new Map(org.teams.map((t) => [t.id, t.name]));
    const group = (
      key: (r: EvaluationRow) => string,
      name: (r: EvaluationRow) => string,
    ): ResultsGroup[] => {
      const groups = new Map<string, EvaluationRow[]>();
      for (const r of rows) groupInto(groups, key(r), r);
      return [...groups]
        .map(([id, list]) => {
          const scored = list.filter((r) => r.score !== null);
          const weeks = new Map<string, number[]>();
          for (const r of scored) groupInto(weeks, weekOf(r.call_started_at), r.score!);
          const average = mean(scored.map((r) => r.score!));
          return {
            id,
            name: name(list[0]!),
            evaluations: list.length,
            average: average === null ? null : round1(average),
            failed: list.filter((r) => r.failed === 1).length,
            trend: [...weeks]
              .sort(([a], [b]) => (a < b ? -1 : 1))
              .map(([week, scores]) => ({
                week,
                average: round1(mean(scores)!),
                evaluations: scores.length,
              })),
          };
        })
        .sort((a, b) => (a.average ?? 101) - (b.average ?? 101) || a.name.localeCompare(b.name));
    };
    const questionStats = new Map<
      string,
      { formId: string; questionId: string; text: string; answered: number; failed: number }
    >();
    for (const r of rows) {
      if (!r.score_json) continue;
      const form = await this.#forms.version(r.form_id, r.form_version);
      const texts = new Map(
        questionsOf(form.definition).map((q) => [q.question.id, q.question.text]),
      );
      for (const q of (JSON.parse(r.score_json) as Score).questions) {
        if (q.passed === null) continue;
        const key = `${r.form_id}/${q.questionId}`;
        const stat = questionStats.get(key) ?? {
          formId: r.form_id,
          questionId: q.questionId,
          text: texts.get(q.questionId) ?? q.questionId,
          answered: 0,
          failed: 0,
        };
        // The newest version's wording names the question.
        stat.text = texts.get(q.questionId) ?? stat.text;
        stat.answered++;
        if (!q.passed) stat.failed++;
        questionStats.set(key, stat);
      }
    }
    return {
      agents: group(
        (r) => r.agent_id,
        (r) => r.agent_name,
      ),
      teams: group(
        (r) => r.team_id,
        (r) => teamName.get(r.team_id) ?? r.team_id,
      ),
      questions: [...questionStats.values()]
        .map((q) => ({
          ...q,
          failureRate: q.answered ? Math.round((q.failed / q.answered) * 1000) / 1000 : null,
        }))
        .sort((a, b) => (b.failureRate ?? 0) - (a.failureRate ?? 0)),
      evaluators: await this.#consistency(rows, who),
    };
  }

  /** Each evaluator's mean deviation from the expert over closed calibration sessions. */
  async #consistency(rows: EvaluationRow[], who: Principal): Promise<Results['evaluators']> {
    const closed = await this.#db.all<CalibrationRow>(
      'SELECT * FROM qa_calibrations WHERE closed_at IS NOT NULL',
    );
    const deviations = new Map<string, number[]>();
    for (const session of closed) {
      const report = await this.report(session.id, who).catch(() => undefined);
      for (const e of report?.evaluators ?? [])
        if (e.deviation !== null) groupInto(deviations, e.id, e.deviation);
    }
    const names = new Map((await this.#auth.list()).map((u) => [u.id, u.name]));
    const ids = new Set([...rows.map((r) => r.evaluator_id), ...deviations.keys()]);
    return [...ids].map((id) => {
      const d = deviations.get(id) ?? [];
      const m = mean(d);
      return {
        id,
        name:
          names.get(id) ??
          rows.find((r) => r.evaluator_id === id)?.evaluator_name ??
          '(removed user)',
        evaluations: rows.filter((r) => r.evaluator_id === id).length,
        calibrations: d.length,
        meanDeviation: m === null ? null : round1(m),
      };
    });
  }
}
