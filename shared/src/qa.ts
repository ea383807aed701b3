import { z } from 'zod';
import { Id, Name } from './ids.ts';
import type { Tag } from './tags.ts';

const Text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max);
/** A short id a form gives its sections, questions and options (`greeting`, `q3`). */
const Key = z
  .string()
  .min(1, 'must not be empty')
  .max(40, 'must be at most 40 characters')
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'may contain lower-case letters, digits, "_" and "-"');
const Weight = z
  .number({ error: 'must be a number' })
  .min(0, 'must not be negative')
  .max(100, 'must be at most 100');
/** The share of a question's points at which it passes (critical and fatal questions fail below it). */
const PassMark = z.number().min(0).max(1);

export const QUESTION_KINDS = ['yesNo', 'scale', 'choice', 'number', 'text'] as const;
export type QuestionKind = (typeof QUESTION_KINDS)[number];

/** When an answer must carry a comment. */
export const CommentWhen = z.enum(['never', 'failing', 'always']);

const QuestionBase = {
  id: Key,
  text: Text(300),
  help: z.string().trim().max(1000).optional(),
  weight: Weight.default(1),
  /** An N/A answer is allowed: it leaves the question out of the score's denominator. */
  naAllowed: z.boolean().default(false),
  /** Counts toward the separate critical score. */
  critical: z.boolean().default(false),
  /** Failing it fails the whole evaluation (score 0). */
  fatal: z.boolean().default(false),
  commentWhen: CommentWhen.default('never'),
};

export const ChoiceOption = z.strictObject({
  id: Key,
  label: Text(200),
  /** Points out of 100 this option earns. */
  points: Weight,
  /** Choosing it requires a comment. */
  requiresComment: z.boolean().default(false),
});
export type ChoiceOption = z.infer<typeof ChoiceOption>;

export const Question = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({ ...QuestionBase, kind: z.literal('yesNo') }),
    z
      .strictObject({
        ...QuestionBase,
        kind: z.literal('scale'),
        min: z.number().int().min(0).max(10),
        max: z.number().int().min(1).max(10),
        passMark: PassMark.default(0.5),
      })
      .refine((q) => q.max > q.min, { path: ['max'], message: 'must be above min' }),
    z
      .strictObject({
        ...QuestionBase,
        kind: z.literal('choice'),
        multiple: z.boolean().default(false),
        options: z
          .array(ChoiceOption)
          .min(2, 'needs at least two options')
          .max(20)
          .refine((o) => new Set(o.map((x) => x.id)).size === o.length, 'lists an option twice'),
        passMark: PassMark.default(0.5),
      })
      .refine((q) => q.options.some((o) => o.points > 0), {
        path: ['options'],
        message: 'at least one option must earn points',
      }),
    z
      .strictObject({
        ...QuestionBase,
        kind: z.literal('number'),
        min: z.number().finite(),
        max: z.number().finite(),
        /** Whether a higher number scores better (hold seconds: no). */
        higherIsBetter: z.boolean().default(true),
        passMark: PassMark.default(0.5),
      })
      .refine((q) => q.max > q.min, { path: ['max'], message: 'must be above min' }),
    z.strictObject({ ...QuestionBase, kind: z.literal('text'), weight: z.literal(0).default(0) }),
  ],
  { error: `kind must be one of ${QUESTION_KINDS.map((k) => `"${k}"`).join(', ')}` },
);
export type Question = z.infer<typeof Question>;

export const Section = z.strictObject({
  id: Key,
  title: Text(200),
  weight: Weight.default(1),
  questions: z.array(Question).min(1, 'needs at least one question').max(60),
});
export type Section = z.infer<typeof Section>;

/** What a form asks: sections of questions. Publishing freezes it as a version. */
export const FormDefinition = z
  .strictObject({
    sections: z.array(Section).min(1, 'needs at least one section').max(20),
  })
  .superRefine((form, ctx) => {
    const seen = new Set<string>();
    form.sections.forEach((section, s) => {
      if (seen.has(`s:${section.id}`))
        ctx.addIssue({ code: 'custom', path: ['sections', s, 'id'], message: 'is used twice' });
      seen.add(`s:${section.id}`);
      section.questions.forEach((q, i) => {
        const path = ['sections', s, 'questions', i];
        if (seen.has(q.id))
          ctx.addIssue({ code: 'custom', path: [...path, 'id'], message: 'is used twice' });
        seen.add(q.id);
        if (q.kind === 'text' && (q.critical || q.fatal))
          ctx.addIssue({
            code: 'custom',
            path: [...path, 'kind'],
            message: 'a text question is not scored: it cannot be critical or fatal',
          });
      });
    });
    const scored = form.sections.some(
      (s) => s.weight > 0 && s.questions.some((q) => q.kind !== 'text' && q.weight > 0),
    );
    if (!scored)
      ctx.addIssue({
        code: 'custom',
        path: ['sections'],
        message: 'needs at least one weighted question in a weighted section',
      });
  });
export type FormDefinition = z.infer<typeof FormDefinition>;

/** `POST /api/v1/qa/forms` and `PUT /api/v1/qa/forms/:id`: a form's draft. */
export const SaveFormRequest = z.strictObject({
  name: Name,
  description: z.string().trim().max(2000).optional(),
  definition: FormDefinition,
});
export type SaveFormRequest = z.infer<typeof SaveFormRequest>;

export type FormStatus = 'draft' | 'published' | 'retired';

export interface FormSummary {
  id: string;
  name: string;
  description: string | null;
  status: FormStatus;
  /** The latest published version (0: never published). */
  version: number;
  /** The draft differs from the latest version. */
  changed: boolean;
  updatedAt: string;
  createdBy: string;
}

export interface Form extends FormSummary {
  /** The draft being edited (the latest version's definition until it is changed). */
  draft: FormDefinition;
  versions: { version: number; publishedAt: string; publishedBy: string }[];
}

export interface FormVersion {
  formId: string;
  name: string;
  version: number;
  definition: FormDefinition;
  publishedAt: string;
}

/** A moment of the call an answer points at: a time, or one of the call's tags. */
export const Citation = z.strictObject({
  atMs: z.number().int().min(0).max(86_400_000),
  tagId: z.string().uuid().optional(),
  note: z.string().trim().max(300).optional(),
});
export type Citation = z.infer<typeof Citation>;

/** One answer: a value (its type follows the question), or N/A. */
export const Answer = z.strictObject({
  questionId: Key,
  value: z
    .union([z.boolean(), z.number().finite(), z.string().max(4000), z.array(Key).max(20)])
    .nullable()
    .optional(),
  na: z.boolean().optional(),
  comment: z.string().trim().max(2000).optional(),
  citations: z.array(Citation).max(10).default([]),
});
export type Answer = z.infer<typeof Answer>;

/**
 * `PUT /api/v1/evaluations/:id/draft`, `POST …/submit`: the answers only. Anything else a
 * client sends (a score, a total) is stripped: the server computes the score.
 */
export const AnswersRequest = z.object({
  answers: z
    .array(Answer)
    .max(500)
    .refine(
      (a) => new Set(a.map((x) => x.questionId)).size === a.length,
      'answers a question twice',
    ),
});
export type AnswersRequest = z.infer<typeof AnswersRequest>;

/** A question's part of a score. */
export interface QuestionScore {
  questionId: string;
  sectionId: string;
  /** Earned share of the question's points, 0-1; null for N/A and unscored questions. */
  earned: number | null;
  passed: boolean | null;
  na: boolean;
}

/** A score as the server computed it. */
export interface Score {
  /** 0-100, one decimal; 0 when a fatal question failed; null when every question was N/A. */
  score: number | null;
  /** The weighted score before a fatal failure applies. */
  rawScore: number | null;
  /** The share of critical questions passed (0-100), N/A left out; null when none applied. */
  criticalScore: number | null;
  /** Fatal questions failed: any fails the evaluation. */
  fatalFailed: string[];
  failed: boolean;
  sections: { sectionId: string; score: number | null }[];
  questions: QuestionScore[];
}

export type EvaluationStatus = 'draft' | 'submitted' | 'acknowledged' | 'disputed';
export type EvaluationKind = 'standard' | 'calibration';

export interface EvaluationRevision {
  revision: number;
  answers: Answer[];
  score: Score;
  by: { id: string; name: string };
  /** Why it was re-scored (null for the first submission). */
  reason: string | null;
  at: string;
}

export interface Dispute {
  id: string;
  revision: number;
  comment: string;
  by: { id: string; name: string };
  at: string;
  resolution: 'upheld' | 'rescored' | null;
  reason: string | null;
  resolvedBy: { id: string; name: string } | null;
  resolvedAt: string | null;
}

export interface EvaluationSummary {
  id: string;
  callId: string;
  kind: EvaluationKind;
  calibrationId: string | null;
  form: { id: string; name: string; version: number };
  agent: { id: string; name: string };
  team: string;
  center: string;
  evaluator: { id: string; name: string };
  status: EvaluationStatus;
  revision: number;
  /** The latest submitted score (null for a draft). */
  score: number | null;
  failed: boolean;
  callStartedAt: string;
  createdAt: string;
  submittedAt: string | null;
  acknowledgedAt: string | null;
  /** Until when the agent may dispute (null before submission). */
  disputeUntil: string | null;
  openDispute: boolean;
}

export interface Evaluation extends EvaluationSummary {
  definition: FormDefinition;
  /** The draft's answers, or the latest revision's. */
  answers: Answer[];
  result: Score | null;
  revisions: EvaluationRevision[];
  disputes: Dispute[];
  /** Disputes the agent has left on this evaluation. */
  disputesLeft: number;
  /** For the agent's view: the call's length and the tags meant for them. */
  call: { durationMs: number | null; startedAt: string; endedAt: string | null };
  tags: Tag[];
}

/** `POST /api/v1/calls/:id/evaluations`: a new evaluation (a draft) with a published form. */
export const CreateEvaluationRequest = z.strictObject({ formId: z.string().uuid() });

/** `GET /api/v1/evaluations`. */
export const EvaluationQuery = z.object({
  agent: Id.optional(),
  team: Id.optional(),
  evaluator: z.string().max(64).optional(),
  status: z.enum(['draft', 'submitted', 'acknowledged', 'disputed']).optional(),
  callId: z.string().uuid().optional(),
  kind: z.enum(['standard', 'calibration']).default('standard'),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});
export type EvaluationQuery = z.infer<typeof EvaluationQuery>;

export const DisputeRequest = z.strictObject({
  comment: z.string().trim().min(1, 'must say what is disputed').max(2000),
});
/** `POST /api/v1/evaluations/:id/resolve`: uphold the score, or re-score with new answers. */
export const ResolveDisputeRequest = z.discriminatedUnion('decision', [
  z.strictObject({ decision: z.literal('uphold'), reason: Text(2000) }),
  z.object({
    decision: z.literal('rescore'),
    reason: Text(2000),
    answers: AnswersRequest.shape.answers,
  }),
]);
export type ResolveDisputeRequest = z.infer<typeof ResolveDisputeRequest>;

/** `PUT /api/v1/qa/settings` (admins): how long and how often agents may dispute. */
export const QaSettings = z.strictObject({
  disputeWindowDays: z.number().int().min(0).max(90),
  maxDisputes: z.number().int().min(0).max(10),
});
export type QaSettings = z.infer<typeof QaSettings>;

/** `POST /api/v1/qa/plans`: draw N recorded calls per agent per period from some teams. */
export const CreatePlanRequest = z.strictObject({
  name: Name,
  formId: z.string().uuid(),
  teams: z
    .array(Id)
    .min(1, 'name at least one team')
    .max(500)
    .refine((t) => new Set(t).size === t.length, 'lists a team twice'),
  perAgent: z.number().int().min(1).max(100),
  period: z.enum(['day', 'week', 'month']),
  minDurationS: z.number().int().min(0).max(36_000).default(0),
  /** The share of each agent's draw taken from flagged (tagged) calls; null: no weighting. */
  flaggedShare: z.number().min(0).max(1).nullable().default(null),
  evaluators: z
    .array(z.string().min(1).max(64))
    .min(1, 'name at least one evaluator')
    .max(200)
    .refine((e) => new Set(e).size === e.length, 'lists an evaluator twice'),
});
export type CreatePlanRequest = z.infer<typeof CreatePlanRequest>;

export interface Plan extends Omit<CreatePlanRequest, 'evaluators'> {
  id: string;
  formName: string;
  evaluators: { id: string; name: string }[];
  createdBy: string;
  createdAt: string;
  lastDraw: DrawSummary | null;
}

/** `POST /api/v1/qa/plans/:id/draws`: a period (the current one when absent) and a seed. */
export const DrawRequest = z.strictObject({
  from: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 time' }).optional(),
  to: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 time' }).optional(),
  /** A seed to draw with (a random one is chosen and recorded when absent). */
  seed: z.string().min(1).max(64).optional(),
});
export type DrawRequest = z.infer<typeof DrawRequest>;

export interface DrawSummary {
  id: string;
  planId: string;
  seed: string;
  from: string;
  to: string;
  drawnAt: string;
  drawnBy: string;
  eligible: number;
  drawn: number;
  /** Agents who had fewer eligible calls than the plan asks. */
  short: { agentId: string; eligible: number }[];
}

export interface Assignment {
  id: string;
  drawId: string;
  planId: string;
  planName: string;
  formId: string;
  callId: string;
  agent: { id: string; name: string };
  team: string;
  evaluator: { id: string; name: string };
  flagged: boolean;
  callStartedAt: string;
  evaluationId: string | null;
  status: EvaluationStatus | 'pending';
}

export interface Draw extends DrawSummary {
  assignments: Assignment[];
}

/** `POST /api/v1/qa/calibrations`: one call scored blind by several evaluators. */
export const CreateCalibrationRequest = z.strictObject({
  name: Name,
  callId: z.string().uuid(),
  formId: z.string().uuid(),
  /** The expert whose evaluation is the reference. */
  expertId: z.string().min(1).max(64),
  evaluators: z
    .array(z.string().min(1).max(64))
    .min(1, 'name at least one evaluator')
    .max(50)
    .refine((e) => new Set(e).size === e.length, 'lists an evaluator twice'),
});
export type CreateCalibrationRequest = z.infer<typeof CreateCalibrationRequest>;

export interface CalibrationParticipant {
  id: string;
  name: string;
  expert: boolean;
  evaluationId: string | null;
  submitted: boolean;
}

export interface CalibrationSummary {
  id: string;
  name: string;
  callId: string;
  form: { id: string; name: string; version: number };
  participants: CalibrationParticipant[];
  createdBy: string;
  createdAt: string;
  closedAt: string | null;
}

export interface CalibrationReport extends CalibrationSummary {
  /** Null until the expert has submitted (or while the session is blind to this user). */
  reference: { score: number; failed: boolean } | null;
  evaluators: {
    id: string;
    name: string;
    score: number | null;
    /** |score - reference score|, points. */
    deviation: number | null;
    /** Mean |earned - reference earned| over the questions both answered, points of 100. */
    meanQuestionDeviation: number | null;
    questions: { questionId: string; earned: number | null; deviation: number | null }[];
  }[];
  questions: { questionId: string; text: string; reference: number | null }[];
}

/** `GET /api/v1/qa/results?team=&agent=&from=&to=`. */
export const ResultsQuery = z.object({
  team: Id.optional(),
  agent: Id.optional(),
  formId: z.string().uuid().optional(),
  from: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 time' }).optional(),
  to: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 time' }).optional(),
});
export type ResultsQuery = z.infer<typeof ResultsQuery>;

export interface ResultsGroup {
  id: string;
  name: string;
  evaluations: number;
  average: number | null;
  failed: number;
  /** Average per ISO week (Monday, UTC) of the call. */
  trend: { week: string; average: number; evaluations: number }[];
}

export interface Results {
  agents: ResultsGroup[];
  teams: ResultsGroup[];
  questions: {
    formId: string;
    questionId: string;
    text: string;
    answered: number;
    failed: number;
    failureRate: number | null;
  }[];
  evaluators: {
    id: string;
    name: string;
    evaluations: number;
    calibrations: number;
    /** Mean |score - reference| over closed calibrations, points. */
    meanDeviation: number | null;
  }[];
}
