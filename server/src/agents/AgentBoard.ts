import type { AgentRow, AgentsSnapshot, Org } from '@earshot/shared';
import type { Principal } from '../auth/AuthService.ts';
import type { CallService } from '../calls/CallService.ts';
import { holdIntervals } from '../kpi/kpiMath.ts';
import type { AgentDay, KpiService } from '../kpi/KpiService.ts';
import type { OrgRepository } from '../org/OrgRepository.ts';
import { teamsOfPlace } from '../org/placeScope.ts';

/** One agent's row from what the events say of them. */
function rowOf(
  agent: Org['agents'][number],
  center: string,
  day: AgentDay | undefined,
  calls: CallService,
  now: number,
): AgentRow {
  const state = day?.state;
  const call = day?.call;
  let board: AgentRow['state'] = 'offline';
  let since = state?.at ?? null;
  if (state?.state === 'available' || state?.state === 'wrap_up') board = state.state;
  else if (state?.state === 'break') board = 'away';
  else if (state?.state === 'on_call') {
    board = 'on_call';
    const hold = call ? holdIntervals(call.holdMarks, now).at(-1) : undefined;
    if (hold?.open) {
      board = 'held';
      since = hold.start;
    }
  }
  return {
    agentId: agent.id,
    name: agent.name,
    team: agent.teamId,
    center,
    state: board,
    since: since === null ? null : new Date(since).toISOString(),
    acdCallId: call?.callId ?? null,
    callId: call ? (calls.idOfExternal(call.callId) ?? null) : null,
    handledToday: day?.handled ?? 0,
    ahtTodayMs: day && day.handled > 0 ? day.handleMs / day.handled : null,
  };
}

/**
 * The agents board: every agent of a scope the user may hear, with their state from the
 * contact-center events, time in state, the call they are on (and whether Earshot taps
 * it), and calls handled and AHT today.
 */
export class AgentBoard {
  readonly #kpi: KpiService;
  readonly #calls: CallService;
  readonly #org: OrgRepository;

  constructor(kpi: KpiService, calls: CallService, org: OrgRepository) {
    this.#kpi = kpi;
    this.#calls = calls;
    this.#org = org;
  }

  /** What the events say of every agent now, once for all the scopes shown at this moment. */
  days(now = Date.now()): Promise<Map<string, AgentDay>> {
    return this.#kpi.agentDays(now);
  }

  async snapshot(
    scope: string,
    principal: Principal,
    now = Date.now(),
    days?: Map<string, AgentDay>,
  ): Promise<AgentsSnapshot> {
    const org = await this.#org.get();
    const known = days ?? (await this.days(now));
    const teams = teamsOfPlace(scope, org);
    const centerOf = new Map(org.teams.map((t) => [t.id, t.centerId]));
    const agents: AgentRow[] = [];
    for (const agent of org.agents) {
      if (!teams.has(agent.teamId)) continue;
      const center = centerOf.get(agent.teamId) ?? '';
      if (!principal.access.canListen({ team: agent.teamId, center })) continue;
      agents.push(rowOf(agent, center, known.get(agent.id), this.#calls, now));
    }
    return { scope, at: new Date(now).toISOString(), agents };
  }
}
