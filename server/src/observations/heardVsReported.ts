// Heard vs reported: what executives and leads heard on sampled calls, beside what the
// data says for the same scope and period, each share with its 95 % Wilson interval.
import type { HeardShare, HeardVsReported, Observation } from '@earshot/shared';

/** The Wilson score interval for k of n at 95 % (z = 1.96), or nulls for n = 0. */
export function wilson(
  k: number,
  n: number,
  z = 1.96,
): { low: number | null; high: number | null } {
  if (n === 0) return { low: null, high: null };
  const p = k / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/** k of n heard beside `reported` (from `reportedN` calls). */
export function share(
  k: number,
  n: number,
  reported: number | null,
  reportedN: number,
): HeardShare {
  const { low, high } = wilson(k, n);
  return {
    n,
    k,
    heard: n ? k / n : null,
    low,
    high,
    reported,
    reportedN,
    flagged:
      reported !== null && low !== null && high !== null && (reported < low || reported > high),
  };
}

/** What a disposition says: its reason (one of the organisation's), and resolved or not. */
export function readDisposition(
  disposition: string | undefined,
  reasons: string[],
): { reason: string | null; resolved: boolean | null } {
  if (!disposition) return { reason: null, resolved: null };
  const d = disposition.toLowerCase();
  const parts = d.split(/[/:|;,]/).map((p) => p.trim());
  const reason = reasons.find((r) => parts.includes(r) || d.startsWith(`${r} `)) ?? null;
  const resolved = /\bunresolved\b|follow-?up|escalat|callback|not resolved/.test(d)
    ? false
    : /\bresolved\b/.test(d)
      ? true
      : null;
  return { reason, resolved };
}

/** One ACD call as the comparison reads it. */
export interface AcdCall {
  disposition: string | undefined;
  csat: number | undefined;
}

export function heardVsReported(input: {
  scope: string;
  from: number;
  to: number;
  reasons: string[];
  observations: Observation[];
  /** Every call the ACD ended in the scope and period. */
  acdCalls: AcdCall[];
  /** The ACD's disposition of an observed call, by its ACD id. */
  dispositionOf: (externalId: string) => string | undefined;
  /** Earshot's call id → whether it is known. */
}): HeardVsReported {
  const { observations, reasons, acdCalls } = input;
  const read = acdCalls.map((c) => ({ ...readDisposition(c.disposition, reasons), csat: c.csat }));
  const withReason = read.filter((r) => r.reason !== null);
  const withOutcome = read.filter((r) => r.resolved !== null);
  const surveyed = read.filter((r) => r.csat !== undefined);
  const ratio = (k: number, n: number) => (n ? k / n : null);

  const reasonRows = reasons.map((reason) => ({
    reason,
    ...share(
      observations.filter((o) => o.reason === reason).length,
      observations.length,
      ratio(withReason.filter((r) => r.reason === reason).length, withReason.length),
      withReason.length,
    ),
  }));
  const decided = observations.filter((o) => o.resolved !== 'unsure');
  const resolved = share(
    decided.filter((o) => o.resolved === 'yes').length,
    decided.length,
    ratio(withOutcome.filter((r) => r.resolved).length, withOutcome.length),
    withOutcome.length,
  );
  const mood = share(
    observations.filter((o) => o.mood === 'positive').length,
    observations.length,
    ratio(surveyed.filter((r) => (r.csat ?? 0) >= 4).length, surveyed.length),
    surveyed.length,
  );

  const disagreements: HeardVsReported['disagreements'] = [];
  for (const o of observations) {
    const disposition =
      (o.externalId ? input.dispositionOf(o.externalId) : undefined) ??
      o.acdDisposition ??
      undefined;
    if (!disposition) continue;
    const acd = readDisposition(disposition, reasons);
    const why: string[] = [];
    if (acd.resolved === true && o.resolved === 'no')
      why.push('reported resolved, heard not resolved');
    if (acd.resolved === false && o.resolved === 'yes')
      why.push('reported not resolved, heard resolved');
    if (acd.reason !== null && acd.reason !== o.reason)
      why.push(`reported ${acd.reason}, heard ${o.reason}`);
    if (why.length)
      disagreements.push({
        callId: o.callId,
        agent: o.agent,
        team: o.team,
        heardReason: o.reason,
        heardResolved: o.resolved,
        disposition,
        why: why.join('; '),
        at: o.at,
      });
  }
  return {
    scope: input.scope,
    from: new Date(input.from).toISOString(),
    to: new Date(input.to).toISOString(),
    observations: observations.length,
    reasons: reasonRows,
    resolved,
    mood,
    disagreements,
  };
}
