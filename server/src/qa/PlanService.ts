import { randomBytes, randomUUID } from 'node:crypto';
import type {
  Assignment,
  CreatePlanRequest,
  Draw,
  DrawRequest,
  DrawSummary,
  EvaluationStatus,
  Plan,
} from '@earshot/shared';
import type { AuditEntry } from '../audit/AuditLog.ts';
import type { AuthService, Principal } from '../auth/AuthService.ts';
import { actorOf } from '../auth/AuthService.ts';
import type { Database } from '../db/Database.ts';
import { ForbiddenError, NotFoundError, ValidationError } from '../errors.ts';
import type { OrgRepository } from '../org/OrgRepository.ts';
import type { FormService } from './FormService.ts';
import { drawSample, type Candidate } from './sampling.ts';

interface PlanRow {
  id: string;
  name: string;
  form_id: string;
  body_json: string;
  created_by: string;
  created_at: string;
}

interface DrawRow {
  id: string;
  plan_id: string;
  seed: string;
  period_from: string;
  period_to: string;
  drawn_at: string;
  drawn_by: string;
  eligible: number;
  short_json: string;
  drawn?: number;
}

interface AssignmentRow {
  id: string;
  draw_id: string;
  plan_id: string;
  plan_name: string;
  form_id: string;
  call_id: string;
  agent_id: string;
  agent_name: string;
  team_id: string;
  started_at: string;
  evaluator_id: string;
  flagged: number;
  evaluation_id: string | null;
  evaluation_status: EvaluationStatus | null;
}

type PlanBody = Omit<CreatePlanRequest, 'name' | 'formId'>;

/** The period a moment falls in (UTC): its day, its ISO week from Monday, or its month. */
export function periodOf(period: CreatePlanRequest['period'], at: Date): { from: Date; to: Date } {
  const from = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
  if (period === 'week') from.setUTCDate(from.getUTCDate() - ((from.getUTCDay() + 6) % 7));
  if (period === 'month') from.setUTCDate(1);
  const to = new Date(from);
  if (period === 'day') to.setUTCDate(to.getUTCDate() + 1);
  else if (period === 'week') to.setUTCDate(to.getUTCDate() + 7);
  else to.setUTCMonth(to.getUTCMonth() + 1);
  return { from, to };
}

/**
 * Sampling plans: N recorded calls per agent per period from chosen teams, drawn at random
 * among the eligible ones with a recorded seed, spread over the evaluators; their queues.
 */
export class PlanService {
  readonly #db: Database;
  readonly #forms: FormService;
  readonly #auth: AuthService;
  readonly #org: OrgRepository;
  readonly #record: (entry: AuditEntry) => void;

  constructor(deps: {
    db: Database;
    forms: FormService;
    auth: AuthService;
    org: OrgRepository;
    record: (entry: AuditEntry) => void;
  }) {
    this.#db = deps.db;
    this.#forms = deps.forms;
    this.#auth = deps.auth;
    this.#org = deps.org;
    this.#record = deps.record;
  }

  async #names(): Promise<Map<string, string>> {
    return new Map((await this.#auth.list()).map((u) => [u.id, u.name]));
  }

  async #plan(row: PlanRow, names: Map<string, string>): Promise<Plan> {
    const body = JSON.parse(row.body_json) as PlanBody;
    const form = await this.#forms.get(row.form_id).catch(() => undefined);
    const last = await this.#db.get<DrawRow>(
      'SELECT d.*, (SELECT COUNT(*) FROM qa_assignments a WHERE a.draw_id = d.id) AS drawn FROM qa_draws d WHERE d.plan_id = ? ORDER BY d.drawn_at DESC LIMIT 1',
      [row.id],
    );
    return {
      id: row.id,
      name: row.name,
      formId: row.form_id,
      formName: form?.name ?? '(deleted form)',
      teams: body.teams,
      perAgent: body.perAgent,
      period: body.period,
      minDurationS: body.minDurationS,
      flaggedShare: body.flaggedShare,
      evaluators: body.evaluators.map((id) => ({ id, name: names.get(id) ?? '(removed user)' })),
      createdBy: row.created_by,
      createdAt: row.created_at,
      lastDraw: last ? drawSummary(last) : null,
    };
  }

  async list(): Promise<Plan[]> {
    const rows = await this.#db.all<PlanRow>('SELECT * FROM qa_plans ORDER BY created_at DESC');
    const names = await this.#names();
    return Promise.all(rows.map((r) => this.#plan(r, names)));
  }

  async get(id: string): Promise<Plan> {
    const row = await this.#db.get<PlanRow>('SELECT * FROM qa_plans WHERE id = ?', [id]);
    if (!row) throw new NotFoundError(`no sampling plan with id "${id.slice(0, 64)}"`);
    return this.#plan(row, await this.#names());
  }

  /** Teams must exist and be within the lead's reach; evaluators must be QA reviewers. */
  async #check(request: CreatePlanRequest, who: Principal): Promise<void> {
    await this.#forms.current(request.formId);
    const org = await this.#org.get();
    const teams = new Map(org.teams.map((t) => [t.id, t]));
    const issues: { path: string; message: string }[] = [];
    request.teams.forEach((id, i) => {
      const team = teams.get(id);
      if (!team) issues.push({ path: `teams.${i}`, message: `no team "${id}"` });
      else if (!who.access.canReview({ team: id, center: team.centerId }))
        issues.push({ path: `teams.${i}`, message: `the team "${id}" is outside what you review` });
    });
    const users = new Map((await this.#auth.list()).map((u) => [u.id, u]));
    request.evaluators.forEach((id, i) => {
      const user = users.get(id);
      if (!user?.roles.some((r) => r.role === 'qa'))
        issues.push({
          path: `evaluators.${i}`,
          message: `no QA reviewer with id "${id.slice(0, 64)}"`,
        });
    });
    if (issues.length) throw new ValidationError('the plan names what does not exist', issues);
  }

  async create(request: CreatePlanRequest, who: Principal): Promise<Plan> {
    await this.#check(request, who);
    const id = randomUUID();
    const { name, formId, ...body } = request;
    await this.#db.run(
      'INSERT INTO qa_plans (id, name, form_id, body_json, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      [id, name, formId, JSON.stringify(body), who.user.name, new Date().toISOString()],
    );
    this.#record({
      actor: actorOf(who),
      action: 'qa.plan.create',
      target: id,
      details: { name, ...body },
    });
    return this.get(id);
  }

  /**
   * Calls a plan may draw in a period: ended, with tapped audio at least the plan's minimum
   * long, of its teams, never evaluated (outside calibration) and never drawn before.
   */
  async eligible(plan: Plan, from: Date, to: Date): Promise<Candidate[]> {
    const teams = plan.teams.map(() => '?').join(', ');
    const rows = await this.#db.all<{
      id: string;
      agent_id: string;
      audio_json: string | null;
      flagged: number;
    }>(
      `SELECT c.id, c.agent_id, c.audio_json,
        CASE WHEN EXISTS (SELECT 1 FROM tags t WHERE t.call_id = c.id) THEN 1 ELSE 0 END AS flagged
        FROM calls c
        WHERE c.ended_at IS NOT NULL AND c.started_at >= ? AND c.started_at < ? AND c.team_id IN (${teams})
          AND NOT EXISTS (SELECT 1 FROM qa_evaluations e WHERE e.call_id = c.id AND e.kind = 'standard')
          AND NOT EXISTS (SELECT 1 FROM qa_assignments a WHERE a.call_id = c.id)`,
      [from.toISOString(), to.toISOString(), ...plan.teams],
    );
    return rows
      .filter((r) => {
        const ms = r.audio_json
          ? ((JSON.parse(r.audio_json) as { durationMs?: number }).durationMs ?? 0)
          : 0;
        return ms > 0 && ms >= plan.minDurationS * 1000;
      })
      .map((r) => ({ callId: r.id, agentId: r.agent_id, flagged: Number(r.flagged) === 1 }));
  }

  /** Draws the plan for a period (the current one by default) and records seed and picks. */
  async draw(planId: string, request: DrawRequest, who: Principal): Promise<Draw> {
    const plan = await this.get(planId);
    const current = periodOf(plan.period, new Date());
    const from = request.from ? new Date(request.from) : current.from;
    const to = request.to ? new Date(request.to) : current.to;
    if (to <= from)
      throw new ValidationError('the period is empty', [
        { path: 'to', message: 'must be after from' },
      ]);
    const seed = request.seed ?? randomBytes(8).toString('hex');
    const id = randomUUID();
    const drawn = await this.#db.transaction(async (db) => {
      // NOTE: one draw at a time per plan, so that two clicks cannot draw a call twice.
      await db.lock(`qa-plan:${planId}`);
      const candidates = await this.eligible(plan, from, to);
      const sample = drawSample(candidates, {
        perAgent: plan.perAgent,
        flaggedShare: plan.flaggedShare,
        evaluators: plan.evaluators.map((e) => e.id),
        seed,
      });
      await db.run(
        'INSERT INTO qa_draws (id, plan_id, seed, period_from, period_to, drawn_at, drawn_by, eligible, short_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
        [
          id,
          planId,
          seed,
          from.toISOString(),
          to.toISOString(),
          new Date().toISOString(),
          who.user.name,
          candidates.length,
          JSON.stringify(sample.short),
        ],
      );
      for (const pick of sample.picks)
        await db.run(
          'INSERT INTO qa_assignments (id, draw_id, plan_id, call_id, agent_id, evaluator_id, flagged) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
          [
            randomUUID(),
            id,
            planId,
            pick.callId,
            pick.agentId,
            pick.evaluatorId,
            pick.flagged ? 1 : 0,
          ],
        );
      return { eligible: candidates.length, drawn: sample.picks.length };
    });
    this.#record({
      actor: actorOf(who),
      action: 'qa.plan.draw',
      target: planId,
      details: { drawId: id, seed, from: from.toISOString(), to: to.toISOString(), ...drawn },
    });
    return this.drawById(id);
  }

  async draws(planId: string): Promise<DrawSummary[]> {
    await this.get(planId);
    const rows = await this.#db.all<DrawRow>(
      'SELECT d.*, (SELECT COUNT(*) FROM qa_assignments a WHERE a.draw_id = d.id) AS drawn FROM qa_draws d WHERE d.plan_id = ? ORDER BY d.drawn_at DESC',
      [planId],
    );
    return rows.map(drawSummary);
  }

  async drawById(id: string): Promise<Draw> {
    const row = await this.#db.get<DrawRow>(
      'SELECT d.*, (SELECT COUNT(*) FROM qa_assignments a WHERE a.draw_id = d.id) AS drawn FROM qa_draws d WHERE d.id = ?',
      [id],
    );
    if (!row) throw new NotFoundError(`no draw with id "${id.slice(0, 64)}"`);
    return { ...drawSummary(row), assignments: await this.#assignments('a.draw_id = ?', [id]) };
  }

  /** What an evaluator has been given to evaluate, the undone first. */
  async queue(who: Principal): Promise<Assignment[]> {
    if (!who.access.evaluate) throw new ForbiddenError('only a QA reviewer has a queue');
    return this.#assignments('a.evaluator_id = ?', [who.user.id]);
  }

  async #assignments(where: string, params: string[]): Promise<Assignment[]> {
    const rows = await this.#db.all<AssignmentRow>(
      `SELECT a.*, p.name AS plan_name, p.form_id, c.agent_name, c.team_id, c.started_at,
         e.id AS evaluation_id, e.status AS evaluation_status
       FROM qa_assignments a
       JOIN qa_plans p ON p.id = a.plan_id
       JOIN calls c ON c.id = a.call_id
       LEFT JOIN qa_evaluations e ON e.call_id = a.call_id AND e.evaluator_id = a.evaluator_id
         AND e.kind = 'standard' AND e.form_id = p.form_id
       WHERE ${where}
       ORDER BY CASE WHEN e.status IS NULL OR e.status = 'draft' THEN 0 ELSE 1 END, c.started_at`,
      params,
    );
    const names = await this.#names();
    return rows.map((r) => ({
      id: r.id,
      drawId: r.draw_id,
      planId: r.plan_id,
      planName: r.plan_name,
      formId: r.form_id,
      callId: r.call_id,
      agent: { id: r.agent_id, name: r.agent_name },
      team: r.team_id,
      evaluator: { id: r.evaluator_id, name: names.get(r.evaluator_id) ?? '(removed user)' },
      flagged: Number(r.flagged) === 1,
      callStartedAt: r.started_at,
      evaluationId: r.evaluation_id,
      status: r.evaluation_status ?? 'pending',
    }));
  }
}

function drawSummary(row: DrawRow): DrawSummary {
  return {
    id: row.id,
    planId: row.plan_id,
    seed: row.seed,
    from: row.period_from,
    to: row.period_to,
    drawnAt: row.drawn_at,
    drawnBy: row.drawn_by,
    eligible: Number(row.eligible),
    drawn: Number(row.drawn ?? 0),
    short: JSON.parse(row.short_json) as DrawSummary['short'],
  };
}
