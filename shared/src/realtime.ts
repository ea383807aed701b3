import type { Ack } from './api.ts';
import type { Call } from './calls.ts';

/** One board tick: calls that started or changed, calls that ended, every live leg level. */
export interface BoardUpdate {
  /** Calls that started or whose metadata or counters changed since the last tick. */
  upserts: Call[];
  /** Ids of calls that ended since the last tick. */
  ended: string[];
  /** `[agent, customer]` level, 0..1, for every live call. */
  levels: Record<string, [number, number]>;
}

/** Events the console sends. */
export interface ClientToServerEvents {
  /** Joins the live board: the ack carries every live call, then `board:update` follows. */
  'board:subscribe': (payload: unknown, ack: (result: Ack<{ calls: Call[] }>) => void) => void;
  /** Leaves the live board. */
  'board:unsubscribe': (payload: unknown, ack: (result: Ack<null>) => void) => void;
}

/** Events the server sends. */
export interface ServerToClientEvents {
  /** Board changes, batched at a steady cadence (4 per second). */
  'board:update': (update: BoardUpdate) => void;
}
