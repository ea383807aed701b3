import { z } from 'zod';
import { PlaceScope } from './org.ts';

/** An agent's state on the board: the ACD's, with on hold and away made plain. */
export const AgentBoardState = z.enum([
  'available',
  'on_call',
  'held',
  'wrap_up',
  'away',
  'offline',
]);
export type AgentBoardState = z.infer<typeof AgentBoardState>;

/** One agent on the agents board. */
export interface AgentRow {
  agentId: string;
  name: string;
  team: string;
  center: string;
  state: AgentBoardState;
  /** Since when the agent is in this state (ISO), or null when no event said so yet. */
  since: string | null;
  /** The ACD's id of the call the agent is on, if any. */
  acdCallId: string | null;
  /** Earshot's id of that call when Earshot taps it (then it can be heard). */
  callId: string | null;
  /** Calls whose wrap-up ended today (the center's day), and their mean handle time. */
  handledToday: number;
  ahtTodayMs: number | null;
}

/** `agents:subscribe` and `GET /api/v1/agents?scope=`: org, region:<id>, center:<id>, team:<id>. */
export const AgentsScope = PlaceScope;
export const AgentsSubscribeRequest = z.strictObject({ scope: AgentsScope });

/** The agents of a scope (those the user may see), and when. */
export interface AgentsSnapshot {
  scope: string;
  at: string;
  agents: AgentRow[];
}

/** Agents whose row changed since the last update (once a second at most). */
export interface AgentsUpdate {
  scope: string;
  at: string;
  agents: AgentRow[];
}
