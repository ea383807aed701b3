import type {
  AuditRecord,
  CalibrationReport,
  Draw,
  Evaluation,
  EvaluationSummary,
  Form,
  Plan,
  Results,
  SaveFormRequest,
} from '@earshot/shared';
import { beforeAll, describe, expect, it } from 'vitest';
import { connectConsole } from '../test/consoleClient.ts';
import { useTestServer } from '../test/fixtures.ts';
import { sendTone, type ApiOptions, type TestUser } from '../test/harness.ts';

const t = useTestServer({ EARSHOT_CALL_IDLE_TIMEOUT_MS: '3600000' });

const BROOKLYN = {
  center: 'ny-brooklyn',
  region: 'new-york-city',
  team: 'bk-billing',
  agent: { id: 'a-rivera', name: 'Luis Rivera' },
};

const FORM: SaveFormRequest = {
  name: 'Care call',
  definition: {
    sections: [
      {
        id: 'open',
        title: 'Opening',
        weight: 1,
        questions: [
          {
            id: 'greet',
            kind: 'yesNo',
            text: 'Greeted',
            weight: 1,
            naAllowed: false,
            critical: false,
            fatal: false,
            commentWhen: 'failing',
          },
          {
            id: 'verify',
            kind: 'yesNo',
            text: 'Verified',
            weight: 1,
            naAllowed: true,
            critical: true,
            fatal: true,
            commentWhen: 'never',
          },
        ],
      },
      {
        id: 'solve',
        title: 'Resolution',
        weight: 3,
        questions: [
          {
            id: 'skill',
            kind: 'scale',
            min: 1,
            max: 5,
            passMark: 0.5,
            text: 'Skill',
            weight: 1,
            naAllowed: false,
            critical: false,
            fatal: false,
            commentWhen: 'never',
          },
        ],
      },
    ],
  },
};

/** Recorded, ended calls: two of Kari Olsen's (Minneapolis), one of Luis Rivera's (Brooklyn). */
let olsen1: string;
let olsen2: string;
let rivera: string;
let coachingTag: string;
let formId: string;

const api = <T>(
  as: TestUser,
  method: string,
  path: string,
  body?: unknown,
  options: ApiOptions = {},
) => t.server.api<T>(method, path, body, { as, token: null, ...options });

async function recordedCall(extra: Record<string, unknown> = {}): Promise<string> {
  const { callId, legs } = await t.server.createCall('PCMU', extra);
  await Promise.all([
    sendTone(t.sender, legs.agent.port, {
      codec: 'PCMU',
      frequency: 440,
      amplitude: 0.3,
      packets: 50,
    }),
    sendTone(t.sender, legs.customer.port, {
      codec: 'PCMU',
      frequency: 660,
      amplitude: 0.3,
      packets: 50,
    }),
  ]);
  return callId;
}

beforeAll(async () => {
  olsen1 = await recordedCall();
  olsen2 = await recordedCall();
  rivera = await recordedCall(BROOKLYN);
  const tag = async (callId: string, label: string) =>
    (
      await api<{ id: string }>('exec', 'POST', `/api/v1/calls/${callId}/tags`, {
        offsetMs: 200,
        label,
        leg: 'agent',
      })
    ).body.id;
  coachingTag = await tag(olsen1, 'coaching');
  await tag(olsen1, 'escalation');
  for (const id of [olsen1, olsen2, rivera]) await t.server.api('DELETE', `/api/v1/calls/${id}`);
  const created = await api<Form>('qa-lead', 'POST', '/api/v1/qa/forms', FORM);
  expect(created.status).toBe(201);
  formId = created.body.id;
});

interface Given {
  questionId: string;
  value: unknown;
  comment?: string;
  citations: { atMs: number; tagId?: string }[];
}
/** Answers scoring 81.3; on Kari Olsen's first call, one cites its coaching tag. */
const answers = (overrides: Partial<Given> = {}, tagged = true): Given[] => [
  { questionId: 'greet', value: true, citations: [{ atMs: 300 }] },
  {
    questionId: 'verify',
    value: true,
    citations: tagged ? [{ atMs: 150, tagId: coachingTag }] : [],
  },
  { questionId: 'skill', value: 4, citations: [], ...overrides },
];

async function submitted(
  as: TestUser,
  callId: string,
  body: Given[] = answers({}, false),
): Promise<Evaluation> {
  const draft = await api<Evaluation>(as, 'POST', `/api/v1/calls/${callId}/evaluations`, {
    formId,
  });
  expect(draft.status, JSON.stringify(draft.body)).toBe(201);
  const done = await api<Evaluation>(as, 'POST', `/api/v1/evaluations/${draft.body.id}/submit`, {
    answers: body,
  });
  expect(done.status, JSON.stringify(done.body)).toBe(200);
  return done.body;
}

describe('QA forms', () => {
  it('a QA lead builds, publishes and versions a form; evaluations keep their version', async () => {
    // Not published yet: nothing can be evaluated with it.
    const early = await api<{ error: { message: string } }>(
      'qa',
      'POST',
      `/api/v1/calls/${olsen2}/evaluations`,
      { formId },
    );
    expect(early.status).toBe(409);
    expect(early.body.error.message).toMatch(/not published/);
    expect((await api('qa', 'POST', '/api/v1/qa/forms', FORM)).status).toBe(403);
    const bad = await api<{ error: { issues: { path: string }[] } }>(
      'qa-lead',
      'POST',
      '/api/v1/qa/forms',
      {
        ...FORM,
        definition: {
          sections: [
            { id: 's', title: 'S', questions: [{ id: 'q', kind: 'yesNo', text: 'Q', weight: -1 }] },
          ],
        },
      },
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues.map((i) => i.path)).toContain(
      'definition.sections.0.questions.0.weight',
    );

    const v1 = await api<Form>('qa-lead', 'POST', `/api/v1/qa/forms/${formId}/publish`);
    expect(v1.body).toMatchObject({ status: 'published', version: 1, changed: false });
    expect((await api('qa-lead', 'POST', `/api/v1/qa/forms/${formId}/publish`)).status).toBe(409);
    const draft = await api<Evaluation>('qa', 'POST', `/api/v1/calls/${olsen2}/evaluations`, {
      formId,
    });
    expect(draft.status).toBe(201);
    expect(draft.body.form.version).toBe(1);

    const changed = structuredClone(FORM);
    changed.definition.sections[0]!.questions[0]!.text = 'Greeted warmly';
    await api('qa-lead', 'PUT', `/api/v1/qa/forms/${formId}`, changed);
    const v2 = await api<Form>('qa-lead', 'POST', `/api/v1/qa/forms/${formId}/publish`);
    expect(v2.body.version).toBe(2);
    expect(v2.body.versions.map((v) => v.version)).toEqual([1, 2]);
    const kept = await api<Evaluation>('qa', 'GET', `/api/v1/evaluations/${draft.body.id}`);
    expect(kept.body.form.version).toBe(1);
    expect(kept.body.definition.sections[0]!.questions[0]!.text).toBe('Greeted');
  });
});

describe('evaluating', () => {
  it('the server computes the score; a made-up score from the client is ignored', async () => {
    const draft = await api<Evaluation>('qa', 'POST', `/api/v1/calls/${olsen1}/evaluations`, {
      formId,
    });
    // Same evaluator, same call and form: the same draft, not a second one.
    const again = await api<Evaluation>('qa', 'POST', `/api/v1/calls/${olsen1}/evaluations`, {
      formId,
    });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(draft.body.id);
    const saved = await api<Evaluation>('qa', 'PUT', `/api/v1/evaluations/${draft.body.id}/draft`, {
      answers: answers().slice(0, 1),
    });
    expect(saved.body).toMatchObject({ status: 'draft', score: null });
    expect(saved.body.answers).toHaveLength(1);
    // Only its evaluator touches a draft.
    expect(
      (await api('qa-lead', 'PUT', `/api/v1/evaluations/${draft.body.id}/draft`, { answers: [] }))
        .status,
    ).toBe(403);

    const incomplete = await api<{ error: { issues: { path: string }[] } }>(
      'qa',
      'POST',
      `/api/v1/evaluations/${draft.body.id}/submit`,
      {
        answers: answers().slice(0, 2),
      },
    );
    expect(incomplete.status).toBe(400);
    expect(incomplete.body.error.issues.map((i) => i.path)).toEqual(['answers.skill']);
    const badCitation = await api('qa', 'POST', `/api/v1/evaluations/${draft.body.id}/submit`, {
      answers: answers({ citations: [{ atMs: 3_600_000 }] }),
    });
    expect(badCitation.status).toBe(400);

    const res = await api<Evaluation>('qa', 'POST', `/api/v1/evaluations/${draft.body.id}/submit`, {
      answers: answers(),
      score: 100,
      result: { score: 100 },
    });
    expect(res.status).toBe(200);
    // Opening (1 + 1) / 2 = 1; Resolution (4-1)/4 = 0.75; total (1·1 + 3·0.75) / 4 = 0.8125.
    expect(res.body).toMatchObject({
      status: 'submitted',
      score: 81.3,
      revision: 1,
      failed: false,
    });
    expect(res.body.result!.criticalScore).toBe(100);
    expect(res.body.disputeUntil).not.toBeNull();
    expect(
      (await api('qa', 'PUT', `/api/v1/evaluations/${draft.body.id}/draft`, { answers: [] }))
        .status,
    ).toBe(409);
  });

  it('a failed fatal question fails the evaluation', async () => {
    const lead = await submitted('qa-lead', olsen2, [
      { questionId: 'greet', value: true, citations: [] },
      { questionId: 'verify', value: false, citations: [] },
      { questionId: 'skill', value: 5, citations: [] },
    ]);
    expect(lead).toMatchObject({ score: 0, failed: true });
    expect(lead.result).toMatchObject({
      rawScore: 87.5,
      fatalFailed: ['verify'],
      criticalScore: 0,
    });
  });

  it('a QA reviewer scoped to some centers cannot evaluate calls of others', async () => {
    const before = await t.server.snapshot();
    expect(
      (await api('qa-bk', 'POST', `/api/v1/calls/${olsen1}/evaluations`, { formId })).status,
    ).toBe(403);
    // Nor may a team lead or an executive evaluate (they review, QA scores).
    expect(
      (await api('exec', 'POST', `/api/v1/calls/${olsen1}/evaluations`, { formId })).status,
    ).toBe(403);
    expect(await t.server.snapshot()).toBe(before);
    const mine = await submitted('qa-bk', rivera);
    expect(mine.agent.id).toBe('a-rivera');
    // And sees only Brooklyn's evaluations.
    const list = await api<{ evaluations: EvaluationSummary[] }>(
      'qa-bk',
      'GET',
      '/api/v1/evaluations',
    );
    expect(new Set(list.body.evaluations.map((e) => e.center))).toEqual(new Set(['ny-brooklyn']));
  });
});

describe('the agent', () => {
  it('reaches only their own evaluations and recordings, through every route and socket', async () => {
    const list = await api<{ evaluations: EvaluationSummary[] }>(
      'agent',
      'GET',
      '/api/v1/evaluations',
    );
    expect(list.status).toBe(200);
    expect(list.body.evaluations.length).toBeGreaterThan(0);
    expect(
      list.body.evaluations.every((e) => e.agent.id === 'a-olsen' && e.status !== 'draft'),
    ).toBe(true);
    const own = list.body.evaluations.find((e) => e.callId === olsen1)!;
    const opened = await api<Evaluation>('agent', 'GET', `/api/v1/evaluations/${own.id}`);
    // Only the tags meant for the agent: coaching, not the escalation.
    expect(opened.body.tags.map((tag) => tag.label)).toEqual(['coaching']);
    const recording = await api('agent', 'GET', `/api/v1/calls/${olsen1}/recording`);
    expect(recording.status).toBe(200);
    expect(recording.headers.get('content-type')).toBe('audio/wav');

    const others = await api<{ evaluations: EvaluationSummary[] }>(
      'agent-bk',
      'GET',
      '/api/v1/evaluations',
    );
    const riverasOwn = others.body.evaluations[0]!;
    const before = await t.server.snapshot();
    const refused: [string, string, unknown?][] = [
      ['GET', `/api/v1/evaluations/${riverasOwn.id}`],
      ['POST', `/api/v1/evaluations/${riverasOwn.id}/acknowledge`],
      ['POST', `/api/v1/evaluations/${riverasOwn.id}/dispute`, { comment: 'not mine' }],
      ['GET', `/api/v1/calls/${rivera}/recording`],
      // Evaluating and settling are the reviewers' business.
      ['POST', `/api/v1/calls/${olsen1}/evaluations`, { formId }],
      ['PUT', `/api/v1/evaluations/${own.id}/draft`, { answers: [] }],
      ['POST', `/api/v1/evaluations/${own.id}/resolve`, { decision: 'uphold', reason: 'me' }],
      ['GET', '/api/v1/calls'],
      ['GET', `/api/v1/calls/${olsen1}`],
      ['GET', `/api/v1/calls/${olsen1}/tags`],
      ['GET', `/api/v1/calls/${olsen1}/review`],
      ['POST', `/api/v1/calls/${olsen1}/tags`, { offsetMs: 1, label: 'praise', leg: 'both' }],
      ['GET', '/api/v1/org'],
      ['GET', '/api/v1/tags'],
      ['GET', '/api/v1/recordings'],
      ['GET', '/api/v1/kpis/org'],
      ['GET', '/api/v1/kpis/agent:a-olsen/history'],
      ['GET', '/api/v1/agents'],
      ['GET', '/api/v1/alerts'],
      ['GET', '/api/v1/observations'],
      ['GET', '/api/v1/users'],
      ['GET', '/api/v1/qa/forms'],
      ['GET', '/api/v1/qa/queue'],
      ['GET', '/api/v1/qa/results'],
      ['GET', '/api/v1/qa/calibrations'],
    ];
    for (const [method, path, body] of refused)
      expect((await api('agent', method, path, body)).status, `${method} ${path}`).toBe(403);
    expect(await t.server.snapshot()).toBe(before);
    await expect(
      connectConsole(t.server.earshot.url, await t.server.cookie('agent')),
    ).rejects.toThrow(/agent/);
    // What they may read: themselves and the dispute rules.
    expect((await api('agent', 'GET', '/api/v1/auth/me')).status).toBe(200);
    expect(
      (await api<{ maxDisputes: number }>('agent', 'GET', '/api/v1/qa/settings')).body.maxDisputes,
    ).toBe(1);
  });

  it('disputes within the rules; the evaluator re-scores; both versions are kept; the agent acknowledges', async () => {
    const list = await api<{ evaluations: EvaluationSummary[] }>(
      'agent',
      'GET',
      `/api/v1/evaluations?callId=${olsen1}`,
    );
    const id = list.body.evaluations[0]!.id;
    const disputed = await api<Evaluation>('agent', 'POST', `/api/v1/evaluations/${id}/dispute`, {
      comment: 'I did verify the account at 0:01',
    });
    expect(disputed.body).toMatchObject({ status: 'disputed', disputesLeft: 0 });
    expect((await api('agent', 'POST', `/api/v1/evaluations/${id}/acknowledge`)).status).toBe(409);
    // Only its evaluator (or a QA lead) settles it.
    expect(
      (
        await api('qa-bk', 'POST', `/api/v1/evaluations/${id}/resolve`, {
          decision: 'uphold',
          reason: 'x',
        })
      ).status,
    ).toBe(403);
    const rescored = await api<Evaluation>('qa', 'POST', `/api/v1/evaluations/${id}/resolve`, {
      decision: 'rescore',
      reason: 'Heard it again: skill was better',
      answers: answers({ value: 5 }),
    });
    expect(rescored.status, JSON.stringify(rescored.body)).toBe(200);
    expect(rescored.body).toMatchObject({ status: 'submitted', revision: 2, score: 100 });
    expect(rescored.body.revisions.map((r) => [r.revision, r.score.score, r.reason])).toEqual([
      [1, 81.3, null],
      [2, 100, 'Heard it again: skill was better'],
    ]);
    expect(rescored.body.disputes[0]).toMatchObject({ resolution: 'rescored', revision: 1 });
    // One dispute per evaluation (the default): the second is refused.
    const second = await api<{ error: { message: string } }>(
      'agent',
      'POST',
      `/api/v1/evaluations/${id}/dispute`,
      { comment: 'again' },
    );
    expect(second.status).toBe(409);
    expect(second.body.error.message).toMatch(/at most 1/);
    const acknowledged = await api<Evaluation>(
      'agent',
      'POST',
      `/api/v1/evaluations/${id}/acknowledge`,
    );
    expect(acknowledged.body.status).toBe('acknowledged');

    const audit = await api<{ records: AuditRecord[] }>(
      'admin',
      'GET',
      `/api/v1/audit?target=${id}`,
    );
    expect(audit.body.records.map((r) => r.action).reverse()).toEqual([
      'evaluation.create',
      'evaluation.submit',
      'evaluation.dispute',
      // Bo QA (Brooklyn only) tried to settle it.
      'evaluation.denied',
      'evaluation.rescore',
      'evaluation.acknowledge',
    ]);
  });

  it('the admin sets the dispute window; past it, a dispute is refused', async () => {
    expect(
      (await api('qa-lead', 'PUT', '/api/v1/qa/settings', { disputeWindowDays: 0, maxDisputes: 2 }))
        .status,
    ).toBe(403);
    const set = await api('admin', 'PUT', '/api/v1/qa/settings', {
      disputeWindowDays: 0,
      maxDisputes: 2,
    });
    expect(set.status).toBe(200);
    const late = await submitted('qa', rivera);
    await new Promise((r) => setTimeout(r, 5));
    const res = await api<{ error: { message: string } }>(
      'agent-bk',
      'POST',
      `/api/v1/evaluations/${late.id}/dispute`,
      { comment: 'late' },
    );
    expect(res.status).toBe(409);
    expect(res.body.error.message).toMatch(/time to dispute ended/);
    await api('admin', 'PUT', '/api/v1/qa/settings', { disputeWindowDays: 7, maxDisputes: 1 });
  });
});

describe('sampling and calibration', () => {
  it("a plan draws recorded calls with a recorded seed into the evaluators' queues", async () => {
    const plan = await api<Plan>('qa-lead', 'POST', '/api/v1/qa/plans', {
      name: 'Daily',
      formId,
      teams: ['mpls-care-1', 'bk-billing'],
      perAgent: 1,
      period: 'day',
      minDurationS: 0,
      flaggedShare: null,
      evaluators: [t.server.userId('qa'), t.server.userId('qa-bk')],
    });
    expect(plan.status, JSON.stringify(plan.body)).toBe(201);
    const refusedPlan = await api<{ error: { issues: { path: string }[] } }>(
      'qa-lead',
      'POST',
      '/api/v1/qa/plans',
      {
        name: 'Bad',
        formId,
        teams: ['nowhere'],
        perAgent: 1,
        period: 'day',
        evaluators: [t.server.userId('exec')],
      },
    );
    expect(refusedPlan.body.error.issues.map((i) => i.path)).toEqual(['teams.0', 'evaluators.0']);
    // Fresh calls: the ones above are evaluated already and never drawn again.
    const fresh = [await recordedCall(), await recordedCall(BROOKLYN)];
    for (const id of fresh) await t.server.api('DELETE', `/api/v1/calls/${id}`);
    const draw = await api<Draw>('qa-lead', 'POST', `/api/v1/qa/plans/${plan.body.id}/draws`, {
      seed: 'fixed-seed',
    });
    expect(draw.status).toBe(201);
    expect(draw.body).toMatchObject({ seed: 'fixed-seed', eligible: 2, drawn: 2 });
    expect(new Set(draw.body.assignments.map((a) => a.callId))).toEqual(new Set(fresh));
    const evaluators = draw.body.assignments.map((a) => a.evaluator.id).sort();
    expect(evaluators).toEqual([t.server.userId('qa'), t.server.userId('qa-bk')].sort());
    const queue = await api<{ assignments: { callId: string; status: string }[] }>(
      'qa',
      'GET',
      '/api/v1/qa/queue',
    );
    expect(queue.body.assignments).toHaveLength(1);
    expect(queue.body.assignments[0]!.status).toBe('pending');
    // Drawn once: a second draw of the same day finds nothing left.
    const again = await api<Draw>('qa-lead', 'POST', `/api/v1/qa/plans/${plan.body.id}/draws`, {});
    expect(again.body).toMatchObject({ eligible: 0, drawn: 0 });
  });

  it("a blind calibration session reports each evaluator's deviation and never counts for the agent", async () => {
    const call = await recordedCall();
    await t.server.api('DELETE', `/api/v1/calls/${call}`);
    const session = await api<CalibrationReport>('qa-lead', 'POST', '/api/v1/qa/calibrations', {
      name: 'November calibration',
      callId: call,
      formId,
      expertId: t.server.userId('qa-lead'),
      evaluators: [t.server.userId('qa')],
    });
    expect(session.status, JSON.stringify(session.body)).toBe(201);
    const id = session.body.id;
    const start = async (as: TestUser) =>
      (await api<Evaluation>(as, 'POST', `/api/v1/qa/calibrations/${id}/evaluation`)).body;
    const expert = await start('qa-lead');
    const evaluator = await start('qa');
    expect(evaluator.kind).toBe('calibration');
    await api('qa-lead', 'POST', `/api/v1/evaluations/${expert.id}/submit`, {
      answers: answers({}, false),
    });
    // Blind: the evaluator sees neither the expert's evaluation nor the report's scores.
    expect((await api('qa', 'GET', `/api/v1/evaluations/${expert.id}`)).status).toBe(403);
    const blind = await api<CalibrationReport>('qa', 'GET', `/api/v1/qa/calibrations/${id}`);
    expect(blind.body.reference).toBeNull();
    expect(blind.body.evaluators).toEqual([]);
    await api('qa', 'POST', `/api/v1/evaluations/${evaluator.id}/submit`, {
      answers: answers({ value: 2 }, false).map((a) =>
        a.questionId === 'greet' ? { ...a, value: false, comment: 'no greeting' } : a,
      ),
    });
    await api('qa-lead', 'POST', `/api/v1/qa/calibrations/${id}/close`);
    const report = await api<CalibrationReport>('qa', 'GET', `/api/v1/qa/calibrations/${id}`);
    // Expert 81.3; evaluator: opening 0.5, resolution 0.25 -> (0.5 + 0.75) / 4 = 31.3.
    expect(report.body.reference).toEqual({ score: 81.3, failed: false });
    expect(report.body.evaluators).toHaveLength(1);
    const row = report.body.evaluators[0]!;
    expect(row).toMatchObject({ score: 31.3, deviation: 50 });
    expect(row.questions.map((q) => [q.questionId, q.deviation])).toEqual([
      ['greet', 100],
      ['verify', 0],
      ['skill', 50],
    ]);
    expect(row.meanQuestionDeviation).toBe(50);

    const mine = await api<{ evaluations: EvaluationSummary[] }>(
      'agent',
      'GET',
      '/api/v1/evaluations',
    );
    expect(mine.body.evaluations.some((e) => e.callId === call)).toBe(false);
    const results = await api<Results>('qa-lead', 'GET', '/api/v1/qa/results');
    const olsen = results.body.agents.find((a) => a.id === 'a-olsen')!;
    // Two standard evaluations of Kari Olsen's (100 after the re-score, 0 fatal), not the calibration.
    expect(olsen).toMatchObject({ evaluations: 2, average: 50, failed: 1 });
    expect(results.body.questions.find((q) => q.questionId === 'verify')).toMatchObject({
      failed: 1,
    });
    const qa = results.body.evaluators.find((e) => e.id === t.server.userId('qa'))!;
    expect(qa).toMatchObject({ calibrations: 1, meanDeviation: 50 });
  });
});
