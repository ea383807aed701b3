import type { Answer, FormDefinition, User } from '@earshot/shared';
import { Access } from '../auth/Access.ts';
import type { AuthService, Principal } from '../auth/AuthService.ts';
import type { Logger } from '../log/logger.ts';
import type { OrgRepository } from '../org/OrgRepository.ts';
import type { EvaluationService } from './EvaluationService.ts';
import type { FormService } from './FormService.ts';
import type { PlanService } from './PlanService.ts';
import { seededRandom } from './sampling.ts';
import { questionsOf } from './scoring.ts';

/** The demo's scorecard: the sections a care call is judged on. */
export const DEMO_FORM: FormDefinition = {
  sections: [
    {
      id: 'opening',
      title: 'Opening',
      weight: 1,
      questions: [
        {
          id: 'greeting',
          kind: 'yesNo',
          text: 'Greeted the customer and gave their name',
          weight: 1,
          naAllowed: false,
          critical: false,
          fatal: false,
          commentWhen: 'failing',
        },
        {
          id: 'verify',
          kind: 'yesNo',
          text: 'Verified the account holder before discussing the account',
          weight: 2,
          naAllowed: true,
          critical: true,
          fatal: true,
          commentWhen: 'failing',
        },
      ],
    },
    {
      id: 'resolution',
      title: 'Resolution',
      weight: 2,
      questions: [
        {
          id: 'understood',
          kind: 'scale',
          min: 1,
          max: 5,
          passMark: 0.5,
          text: 'Understood the reason for the call',
          weight: 2,
          naAllowed: false,
          critical: false,
          fatal: false,
          commentWhen: 'never',
        },
        {
          id: 'outcome',
          kind: 'choice',
          multiple: false,
          passMark: 0.5,
          text: 'Outcome',
          weight: 3,
          naAllowed: false,
          critical: true,
          fatal: false,
          commentWhen: 'never',
          options: [
            { id: 'resolved', label: 'Resolved on the call', points: 100, requiresComment: false },
            { id: 'follow-up', label: 'Follow-up booked', points: 60, requiresComment: false },
            { id: 'unresolved', label: 'Not resolved', points: 0, requiresComment: true },
          ],
        },
        {
          id: 'hold',
          kind: 'number',
          min: 0,
          max: 120,
          higherIsBetter: false,
          passMark: 0.5,
          text: 'Longest hold (seconds)',
          weight: 1,
          naAllowed: true,
          critical: false,
          fatal: false,
          commentWhen: 'never',
        },
      ],
    },
    {
      id: 'close',
      title: 'Close',
      weight: 1,
      questions: [
        {
          id: 'summary',
          kind: 'yesNo',
          text: 'Summarised what happens next',
          weight: 1,
          naAllowed: false,
          critical: false,
          fatal: false,
          commentWhen: 'never',
        },
        {
          id: 'notes',
          kind: 'text',
          text: 'Coaching notes',
          weight: 0,
          naAllowed: false,
          critical: false,
          fatal: false,
          commentWhen: 'never',
        },
      ],
    },
  ],
};

interface QaDemoDeps {
  auth: AuthService;
  org: OrgRepository;
  forms: FormService;
  plans: PlanService;
  evaluations: EvaluationService;
  logger: Logger;
}

const EVERY_MS = 30_000;
/** Evaluations the demo writes, once enough calls are recorded. */
const EVALUATIONS = 3;

/**
 * Demo mode's QA: a published form and a sampling plan at once, then, once the simulator
 * has recorded enough calls, a draw and a few evaluations by the demo QA lead of one
 * agent's calls, with the demo agent's user pointed at that agent.
 */
export class QaDemo {
  readonly #deps: QaDemoDeps;
  #timer: NodeJS.Timeout | undefined;

  constructor(deps: QaDemoDeps) {
    this.#deps = deps;
  }

  async #lead(): Promise<Principal | undefined> {
    const user: User | undefined = (await this.#deps.auth.list()).find(
      (u) => u.demo && u.username === 'qa',
    );
    if (!user) return undefined;
    return {
      sessionHash: '',
      user,
      access: new Access(user.roles),
      expiresAt: new Date().toISOString(),
    };
  }

  /** Starts the demo's QA in the background: nothing here may hold up the server's start. */
  start(): void {
    const tick = () =>
      void this.#step().then(
        (done) => {
          if (!done) this.#timer = setTimeout(tick, EVERY_MS);
        },
        (error: unknown) => {
          this.#deps.logger.warn({ err: error }, 'the QA demo could not evaluate calls yet');
          this.#timer = setTimeout(tick, EVERY_MS);
        },
      );
    this.#timer = setTimeout(tick, 1000);
  }

  /** The form and the plan once the organisation is declared, then the evaluations. */
  async #step(): Promise<boolean> {
    const lead = await this.#lead();
    if (!lead) return true;
    const { forms, plans } = this.#deps;
    const org = await this.#deps.org.get();
    if (org.teams.length === 0) return false;
    let form = (await forms.list()).find((f) => f.status === 'published');
    if (!form) {
      const draft = await forms.create(
        {
          name: 'Care call scorecard',
          description: 'Opening, resolution and close of a care call',
          definition: DEMO_FORM,
        },
        lead.user,
      );
      form = await forms.publish(draft.id, lead.user);
    }
    if ((await plans.list()).length === 0)
      await plans.create(
        {
          name: 'Weekly care sample',
          formId: form.id,
          teams: org.teams.map((t) => t.id),
          perAgent: 2,
          period: 'week',
          minDurationS: 20,
          flaggedShare: 0.5,
          evaluators: [lead.user.id],
        },
        lead,
      );
    return this.#evaluate(lead);
  }

  /**
   * Draws and evaluates as calls get recorded, until the demo has a few evaluations; the
   * demo agent's user follows the agent with the most of them. True once done.
   */
  async #evaluate(lead: Principal): Promise<boolean> {
    const { plans, evaluations } = this.#deps;
    const submitted = async () =>
      (await evaluations.list({ kind: 'standard', limit: 100 }, lead)).filter(
        (e) => e.status !== 'draft',
      );
    const before = await submitted();
    if (before.length >= EVALUATIONS) return true;
    const plan = (await plans.list())[0];
    if (!plan) return true;
    let queue = (await plans.queue(lead)).filter((a) => a.status === 'pending');
    if (queue.length === 0) {
      await plans.draw(plan.id, {}, lead);
      queue = (await plans.queue(lead)).filter((a) => a.status === 'pending');
    }
    if (queue.length === 0) return false;
    // The agent with the most drawn calls first, so that the demo agent has several.
    const count = (agent: string) => queue.filter((a) => a.agent.id === agent).length;
    queue.sort(
      (a, b) => count(b.agent.id) - count(a.agent.id) || a.agent.id.localeCompare(b.agent.id),
    );
    for (const assignment of queue.slice(0, EVALUATIONS - before.length)) {
      const { evaluation } = await evaluations.create(assignment.callId, plan.formId, lead);
      const length = evaluation.call.durationMs ?? 30_000;
      await evaluations.submit(
        evaluation.id,
        demoAnswers(evaluation.definition, assignment.callId, length),
        lead,
      );
    }
    const after = await submitted();
    const byAgent = new Map<string, { agent: { id: string; name: string }; n: number }>();
    for (const e of after)
      byAgent.set(e.agent.id, { agent: e.agent, n: (byAgent.get(e.agent.id)?.n ?? 0) + 1 });
    const top = [...byAgent.values()].sort((a, b) => b.n - a.n)[0];
    if (top) await this.#deps.auth.pointDemoAgent(top.agent);
    this.#deps.logger.info(
      { agent: top?.agent.id, evaluations: after.length },
      'QA demo: evaluations written',
    );
    return after.length >= EVALUATIONS;
  }

  close(): void {
    clearTimeout(this.#timer);
  }
}

/** Plausible answers for a call, the same for the same call: mostly passing, a cited miss. */
export function demoAnswers(form: FormDefinition, callId: string, lengthMs: number): Answer[] {
  const random = seededRandom(callId);
  const at = () => Math.floor(random() * Math.max(1, lengthMs - 1000));
  return questionsOf(form).map(({ question }): Answer => {
    const cite = () => [{ atMs: at() }];
    switch (question.kind) {
      case 'yesNo': {
        const yes = random() < 0.75;
        return yes
          ? { questionId: question.id, value: true, citations: [] }
          : {
              questionId: question.id,
              value: false,
              comment: 'Missed here: listen from this moment.',
              citations: cite(),
            };
      }
      case 'scale':
        return {
          questionId: question.id,
          value: question.min + Math.floor(random() * (question.max - question.min + 1)),
          citations: [],
        };
      case 'choice': {
        const option = question.options[Math.floor(random() * question.options.length)]!;
        return {
          questionId: question.id,
          value: question.multiple ? [option.id] : option.id,
          ...(option.requiresComment ? { comment: 'The customer had to call back.' } : {}),
          citations: option.requiresComment ? cite() : [],
        };
      }
      case 'number':
        return {
          questionId: question.id,
          value: Math.round(question.min + random() * (question.max - question.min)),
          citations: [],
        };
      case 'text':
        return {
          questionId: question.id,
          value: 'Good pace; confirm the next step before closing.',
          citations: [],
        };
    }
  });
}
