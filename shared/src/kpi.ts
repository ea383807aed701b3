import { z } from 'zod';

const EventId = z.string().min(1, 'must not be empty').max(128);
const At = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 time with a zone' });
const Ref = z.string().min(1).max(128);

const base = { id: EventId, at: At };

/** A contact-center event from the ACD/telephony side (the simulator sends the same). */
export const ContactEvent = z.discriminatedUnion('type', [
  z.object({ ...base, type: z.literal('call.offered'), callId: Ref, team: Ref }),
  z.object({ ...base, type: z.literal('call.answered'), callId: Ref, agentId: Ref }),
  z.object({ ...base, type: z.literal('call.held'), callId: Ref }),
  z.object({ ...base, type: z.literal('call.resumed'), callId: Ref }),
  z.object({ ...base, type: z.literal('call.transferred'), callId: Ref, toTeam: Ref.optional() }),
  z.object({
    ...base,
    type: z.literal('call.ended'),
    callId: Ref,
    disposition: z.string().max(64).optional(),
    reason: z.string().max(64).optional(),
  }),
  z.object({ ...base, type: z.literal('call.wrapup_ended'), callId: Ref }),
  z.object({ ...base, type: z.literal('call.abandoned'), callId: Ref }),
  z.object({
    ...base,
    type: z.literal('agent.state'),
    agentId: Ref,
    team: Ref,
    state: z.enum(['available', 'on_call', 'wrap_up', 'break', 'offline']),
  }),
  z.object({
    ...base,
    type: z.literal('survey.result'),
    callId: Ref,
    csat: z.number().int().min(1).max(5),
  }),
]);
export type ContactEvent = z.infer<typeof ContactEvent>;
export type AgentState = Extract<ContactEvent, { type: 'agent.state' }>['state'];

/** `POST /api/v1/events`: a batch; each event is checked on its own. */
export const EventsBatch = z.object({
  events: z.array(z.unknown()).min(1, 'must hold at least one event').max(5000),
});

export interface EventsResult {
  accepted: number;
  duplicates: number;
  rejected: { index: number; reason: string }[];
}

export const KpiWindow = z.enum(['30m', '1h', 'today']);
export type KpiWindow = z.infer<typeof KpiWindow>;

/** `org`, `center:<id>`, `region:<id>`, `team:<id>`, `agent:<id>` or `call:<id>`. */
export const KpiScope = z
  .string()
  .max(140)
  .regex(
    /^(org|(center|region|team|agent|call):[A-Za-z0-9._-]{1,128})$/,
    'must be org, center:<id>, region:<id>, team:<id>, agent:<id> or call:<id>',
  );
export type KpiScope = z.infer<typeof KpiScope>;

/** Every metric; `null` where there is no data (never 0 for "unknown"). */
export interface KpiMetrics {
  serviceLevel: number | null;
  abandonRate: number | null;
  occupancy: number | null;
  holdRate: number | null;
  transferRate: number | null;
  repeatRate: number | null;
  asaMs: number | null;
  ahtMs: number | null;
  avgHoldMs: number | null;
  longestWaitMs: number | null;
  offered: number;
  answered: number;
  abandoned: number;
  activeCalls: number;
  queueDepth: number;
  csat: number | null;
  agentsByState: Record<AgentState, number>;
  /** From the audio of the tapped calls: agent share of talk, 0..1. */
  talkRatio: number | null;
  /** Share of call time where nobody talked, 0..1. */
  silenceShare: number | null;
  overtalkMs: number | null;
  longestDeadAirMs: number | null;
  /** Times the audio disagreed with the ACD (on hold yet talking, dead air while talking). */
  discrepancies: number;
}

/** Numeric metrics another system can report a figure for. */
export const ReportableMetric = z.enum([
  'serviceLevel',
  'abandonRate',
  'occupancy',
  'holdRate',
  'transferRate',
  'asaMs',
  'ahtMs',
  'avgHoldMs',
  'offered',
  'answered',
  'abandoned',
  'csat',
  'talkRatio',
  'silenceShare',
]);
export type ReportableMetric = z.infer<typeof ReportableMetric>;

/** `POST /api/v1/kpis/reported`: what a report (BI, WFM) claims for a scope. */
export const ReportedKpiRequest = z.strictObject({
  scope: z.string().max(140),
  metric: ReportableMetric,
  window: z.enum(['30m', '1h', 'today']),
  value: z.number().finite(),
  source: z.string().max(80).optional(),
});
export type ReportedKpiRequest = z.infer<typeof ReportedKpiRequest>;

/** A reported figure as stored (`GET /api/v1/kpis/reported`). */
export interface StoredReportedFigure {
  scope: string;
  metric: ReportableMetric;
  window: KpiWindow;
  value: number;
  source: string | null;
  at: string;
}

/** A reported figure beside the observed one. */
export interface ReportedVsObserved {
  reported: number;
  observed: number | null;
  /** observed - reported, or null without an observed value. */
  difference: number | null;
  /** |difference| is more than 10 % of the reported figure. */
  flagged: boolean;
  source: string | null;
  at: string;
}

export interface KpiSnapshot {
  scope: string;
  window: KpiWindow;
  at: string;
  metrics: KpiMetrics;
  /** Figures other systems reported for this scope and window, set against the observed. */
  reported: Partial<Record<ReportableMetric, ReportedVsObserved>>;
}

export const KpiSubscribeRequest = z.object({ scope: KpiScope, window: KpiWindow.default('1h') });
export type KpiSubscribeRequest = z.infer<typeof KpiSubscribeRequest>;

/** `kpi:update`: only the metrics that changed since the last update of that scope. */
export interface KpiUpdate {
  scope: string;
  window: KpiWindow;
  at: string;
  metrics: Partial<KpiMetrics>;
  /** Every reported figure of the scope and window, when one was just reported. */
  reported?: Partial<Record<ReportableMetric, ReportedVsObserved>>;
}
