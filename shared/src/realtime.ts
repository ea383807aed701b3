import type { AgentsSnapshot, AgentsUpdate } from './agents.ts';
import type { Alert } from './alerts.ts';
import type { Ack } from './api.ts';
import type { Call } from './calls.ts';
import type { ListenEndReason, ListenOffer, Presence } from './listen.ts';
import type { KpiSnapshot, KpiUpdate } from './kpi.ts';
import type { Tag } from './tags.ts';

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
  /** Who this console is to other listeners (the signed-in user, this tab's presence id). */
  'session:hello': (payload: unknown, ack: (result: Ack<Presence>) => void) => void;
  /** The router's RTP capabilities, to load the mediasoup-client Device. */
  'media:capabilities': (
    payload: unknown,
    ack: (result: Ack<{ routerRtpCapabilities: unknown }>) => void,
  ) => void;
  /** Starts receiving a call (`{ callId, rtpCapabilities }`): a transport and paused consumers. */
  'listen:start': (payload: unknown, ack: (result: Ack<ListenOffer>) => void) => void;
  /** Connects the call's receive transport (`{ callId, dtlsParameters }`). */
  'listen:connect': (payload: unknown, ack: (result: Ack<null>) => void) => void;
  /** The console is ready: resumes the call's consumers (`{ callId }`). */
  'listen:resume': (payload: unknown, ack: (result: Ack<null>) => void) => void;
  /** Stops receiving a call (`{ callId }`); frees its transport and consumers at once. */
  'listen:stop': (payload: unknown, ack: (result: Ack<null>) => void) => void;
  /** The server's clock (ms since the epoch), to place what the console hears on call time. */
  'session:time': (payload: unknown, ack: (result: Ack<{ now: number }>) => void) => void;
  /** Follows a KPI scope (`{ scope, window }`): the ack is a snapshot, `kpi:update` follows. */
  'kpi:subscribe': (payload: unknown, ack: (result: Ack<KpiSnapshot>) => void) => void;
  /** Stops following a KPI scope. */
  'kpi:unsubscribe': (payload: unknown, ack: (result: Ack<null>) => void) => void;
  /** Tags a call the user may see (`{ callId, tag }`), signed with the user. */
  'tag:create': (payload: unknown, ack: (result: Ack<Tag>) => void) => void;
  /** Follows the agents of a scope (`{ scope }`): the ack is a snapshot, `agents:update` follows. */
  'agents:subscribe': (payload: unknown, ack: (result: Ack<AgentsSnapshot>) => void) => void;
  /** Stops following the agents of a scope. */
  'agents:unsubscribe': (payload: unknown, ack: (result: Ack<null>) => void) => void;
  /** Follows the alerts the user may see: the ack lists the open ones, `alert` follows. */
  'alerts:subscribe': (payload: unknown, ack: (result: Ack<{ alerts: Alert[] }>) => void) => void;
}

/** Events the server sends. */
export interface ServerToClientEvents {
  /** Board changes, batched at a steady cadence (4 per second). */
  'board:update': (update: BoardUpdate) => void;
  /** Who is listening to a call this console listens to, whenever it changes. */
  'listeners:update': (update: { callId: string; listeners: Presence[] }) => void;
  /** A call this console listened to ended, its media was lost, or the right to hear it went. */
  'listen:ended': (event: { callId: string; reason: ListenEndReason }) => void;
  /** The call's media moved to another worker: start listening again to re-attach. */
  'listen:restart': (event: { callId: string }) => void;
  /** The metrics of a followed scope that changed (at most 4 per second per scope). */
  'kpi:update': (update: KpiUpdate) => void;
  /** The user's rights changed: the console reloads who it is and rejoins the board. */
  'session:changed': () => void;
  /** The session ended (signed out, expired, or the user removed); the socket closes next. */
  'session:ended': (event: { reason: 'signed-out' | 'expired' | 'removed' }) => void;
  /** A tag was made on a call this console listens to. */
  'tag:created': (tag: Tag) => void;
  /** A tag on a call this console listens to changed. */
  'tag:updated': (tag: Tag) => void;
  /** A tag on a call this console listens to was deleted. */
  'tag:deleted': (event: { id: string; callId: string }) => void;
  /** Agents of a followed scope whose row changed (once a second at most). */
  'agents:update': (update: AgentsUpdate) => void;
  /** An alert was raised, cleared, acknowledged or resolved (to those who may see it). */
  alert: (alert: Alert) => void;
}
