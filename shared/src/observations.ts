import { z } from 'zod';

/** The reasons an organisation starts with (an admin changes them). */
export const DEFAULT_OBSERVATION_REASONS = [
  'billing',
  'device',
  'network',
  'plan change',
  'cancellation',
  'other',
];

/** `PUT /api/v1/observation-reasons`: the organisation's list of call reasons. */
export const ObservationReasonsRequest = z.strictObject({
  reasons: z
    .array(z.string().trim().toLowerCase().min(1).max(40))
    .min(1, 'needs at least one reason')
    .max(50)
    .refine((r) => new Set(r).size === r.length, 'lists a reason twice'),
});

/** `POST /api/v1/calls/:id/observations`: the gist of a call as heard. */
export const ObservationRequest = z.strictObject({
  reason: z.string().trim().toLowerCase().min(1).max(40),
  resolved: z.enum(['yes', 'no', 'unsure']),
  mood: z.enum(['positive', 'neutral', 'negative']),
  /** What the data says of this call looks wrong against what was heard. */
  dataLooksWrong: z.boolean().default(false),
  note: z.string().trim().max(2000).optional(),
});
export type ObservationRequest = z.infer<typeof ObservationRequest>;

export interface Observation {
  id: string;
  callId: string;
  /** The ACD's id of the call, and the disposition it reported (when it had). */
  externalId: string | null;
  acdDisposition: string | null;
  team: string;
  center: string;
  agent: { id: string; name: string };
  observer: { id: string; name: string };
  reason: string;
  resolved: 'yes' | 'no' | 'unsure';
  mood: 'positive' | 'neutral' | 'negative';
  dataLooksWrong: boolean;
  note: string | null;
  at: string;
}

/** A share heard on sampled calls beside the share the data reports, with its 95 % interval. */
export interface HeardShare {
  /** Sampled calls that count, and those of them that showed it. */
  n: number;
  k: number;
  heard: number | null;
  /** Wilson score interval, 95 %. */
  low: number | null;
  high: number | null;
  /** The share the data reports for the same scope and period, and from how many calls. */
  reported: number | null;
  reportedN: number;
  /** The reported share lies outside the interval heard. */
  flagged: boolean;
}

/** `GET /api/v1/heard-vs-reported?scope=&from=&to=`. */
export interface HeardVsReported {
  scope: string;
  from: string;
  to: string;
  observations: number;
  /** Per reason: the share of sampled calls heard with it against the dispositions' share. */
  reasons: ({ reason: string } & HeardShare)[];
  /** Resolved as heard (yes of yes and no) against the dispositions that say resolved. */
  resolved: HeardShare;
  /** A positive mood heard against surveys of 4 or 5. */
  mood: HeardShare;
  /** Single calls where the disposition and what was heard disagree. */
  disagreements: {
    callId: string;
    agent: { id: string; name: string };
    team: string;
    heardReason: string;
    heardResolved: 'yes' | 'no' | 'unsure';
    disposition: string;
    why: string;
    at: string;
  }[];
}
