import type { Call } from '@earshot/shared';

/** How the listening hour picks the next call. */
export type SamplingRule = 'random' | 'centers' | 'regions' | 'flagged' | 'longest';

export interface Played {
  callId: string;
  title: string;
  center: string;
  region: string;
  startedAt: number;
}

const inScope = (call: Call, scope: string) => {
  if (scope === 'org') return true;
  const [kind, id] = scope.split(':') as [string, string];
  return kind === 'team'
    ? call.team === id
    : kind === 'center'
      ? call.center === id
      : call.region === id;
};

/** The next call by the rule, among live calls not yet heard this hour. */
export function pickNext(
  calls: Call[],
  rule: SamplingRule,
  scope: string,
  played: Played[],
  centersInOrder: string[],
  alerted: ReadonlySet<string> = new Set(),
  random = Math.random,
  regionsInOrder: string[] = [],
): Call | undefined {
  const heard = new Set(played.map((p) => p.callId));
  const candidates = calls.filter(
    (c) =>
      !c.unmatched &&
      c.state !== 'ended' &&
      c.state !== 'ringing' &&
      !heard.has(c.id) &&
      inScope(c, scope),
  );
  if (candidates.length === 0) return undefined;
  const any = (list: Call[]) => list[Math.floor(random() * list.length)];
  if (rule === 'longest')
    return candidates.reduce((a, b) =>
      Date.parse(a.startedAt) <= Date.parse(b.startedAt) ? a : b,
    );
  if (rule === 'flagged') {
    const withAlert = candidates.filter((c) => alerted.has(c.id));
    if (withAlert.length) return any(withAlert);
    const flagged = candidates.filter((c) => c.flags.length > 0 || c.discrepancies > 0);
    return flagged.length
      ? flagged.reduce((a, b) => (b.discrepancies > a.discrepancies ? b : a))
      : any(candidates);
  }
  if (rule === 'centers' || rule === 'regions') {
    // One place at a time, in turn: the next one after the last call's with a call live.
    const key = rule === 'centers' ? ('center' as const) : ('region' as const);
    const order = rule === 'centers' ? centersInOrder : regionsInOrder;
    const last = played.at(-1)?.[key];
    const start = last ? order.indexOf(last) + 1 : 0;
    for (let i = 0; i < order.length; i++) {
      const place = order[(start + i) % order.length];
      const here = candidates.filter((c) => c[key] === place);
      if (here.length) return any(here);
    }
  }
  return any(candidates);
}
