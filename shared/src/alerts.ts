import { z } from 'zod';
import { PlaceScope } from './org.ts';

/**
 * What an alert rule watches, and what its `threshold` means:
 * - `hold_longer`: a call on hold longer than `threshold` seconds;
 * - `call_longer`: a call longer than `threshold` times its team's AHT today;
 * - `dead_air`: a tapped call silent on both legs, off hold, for more than `threshold` s;
 * - `overtalk_above`: a tapped call whose two sides talked at once more than `threshold`
 *   percent of the last minute off hold;
 * - `held_but_talking`: a tapped call on hold while both sides talk (no threshold);
 * - `queue_depth`: a team with more than `threshold` calls waiting;
 * - `longest_wait`: a team whose longest waiting call passed `threshold` seconds;
 * - `service_level_below`: a team's service level over 30 min below `threshold` percent;
 * - `wrap_up_longer` / `away_longer`: an agent in wrap-up / away longer than `threshold` s.
 */
export const AlertKind = z.enum([
  'hold_longer',
  'call_longer',
  'dead_air',
  'overtalk_above',
  'held_but_talking',
  'queue_depth',
  'longest_wait',
  'service_level_below',
  'wrap_up_longer',
  'away_longer',
]);
export type AlertKind = z.infer<typeof AlertKind>;

/** Where a rule applies: the organisation, a region, a center or a team. */
export const AlertScope = PlaceScope;

const WebhookUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2000);

/** `POST /api/v1/alert-rules`. */
export const AlertRuleRequest = z
  .strictObject({
    name: z.string().trim().min(1, 'must not be empty').max(80),
    kind: AlertKind,
    scope: AlertScope,
    threshold: z.number().finite().min(0).max(1_000_000).optional(),
    /** Called with each alert as JSON, signed with HMAC-SHA256 (`webhookSecret`). */
    webhookUrl: WebhookUrl.optional(),
    webhookSecret: z.string().min(16, 'must be at least 16 characters').max(200).optional(),
  })
  .superRefine((rule, ctx) => {
    if (rule.kind !== 'held_but_talking' && rule.threshold === undefined)
      ctx.addIssue({ code: 'custom', path: ['threshold'], message: 'this kind of rule needs one' });
    if (
      (rule.kind === 'service_level_below' || rule.kind === 'overtalk_above') &&
      (rule.threshold ?? 0) > 100
    )
      ctx.addIssue({ code: 'custom', path: ['threshold'], message: 'must be a percent, 0-100' });
    if ((rule.webhookUrl === undefined) !== (rule.webhookSecret === undefined))
      ctx.addIssue({
        code: 'custom',
        path: ['webhookSecret'],
        message: 'a webhook needs its URL and its secret together',
      });
  });
export type AlertRuleRequest = z.infer<typeof AlertRuleRequest>;

export interface AlertRule {
  id: string;
  name: string;
  kind: AlertKind;
  scope: string;
  threshold: number | null;
  webhookUrl: string | null;
  /** The webhook's last failure, if its last delivery failed. */
  webhookError: string | null;
  webhookFailures: number;
  createdBy: { id: string; name: string };
  createdAt: string;
}

export type AlertState = 'active' | 'cleared';

export interface Alert {
  id: string;
  ruleId: string;
  ruleName: string;
  kind: AlertKind;
  /** What it is about: `call:<acd id>`, `agent:<id>` or `team:<id>`. */
  subject: string;
  team: string;
  center: string;
  /** Earshot's id of the call, when it is a tapped call (then Listen hears it). */
  callId: string | null;
  agent: { id: string; name: string } | null;
  /** What was seen, in words ("on hold for 3:12"). */
  message: string;
  raisedAt: string;
  /** When its condition ended, or null while it holds. */
  clearedAt: string | null;
  acknowledgedAt: string | null;
  acknowledgedBy: { id: string; name: string } | null;
  resolvedAt: string | null;
  resolvedBy: { id: string; name: string } | null;
}

/** `GET /api/v1/alerts?state=`: open (not resolved) alerts, or all of them. */
export const AlertsQuery = z.object({
  state: z.enum(['open', 'all']).default('open'),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});
