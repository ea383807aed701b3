import { AgentsSubscribeRequest, type AgentRow } from '@earshot/shared';
import type { Principal } from '../auth/AuthService.ts';
import { ForbiddenError } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import type { EarshotIo, EarshotSocket, OnEvent, SocketDomain } from '../realtime/socketKit.ts';
import type { AgentBoard } from './AgentBoard.ts';

/** How often the agents board looks for changed rows. */
const TICK_MS = 1000;
/** Scopes one console may follow at once. */
const MAX_SCOPES = 8;

/** Who may follow the agents board at all (it lists people, so only those who hear calls). */
export function assertMayWatchAgents(principal: Principal): void {
  if (!principal.access.canListenAtAll)
    throw new ForbiddenError('only executives and team leads see the agents board');
}

/**
 * The agents board over Socket.IO: a snapshot on subscribe, then once a second the rows
 * that changed, per console (each sees only the agents it may).
 */
export class AgentsSocket implements SocketDomain {
  readonly #board: AgentBoard;
  readonly #log: Logger;
  /** Per console: its scopes and the rows it was last sent (as JSON, to tell changes). */
  readonly #following = new Map<EarshotSocket, Map<string, Map<string, string>>>();
  readonly #timer: NodeJS.Timeout;
  #ticking = false;

  constructor(_io: EarshotIo, board: AgentBoard, log: Logger) {
    this.#board = board;
    this.#log = log;
    this.#timer = setInterval(() => void this.#tick(), TICK_MS);
    this.#timer.unref();
  }

  connect(_socket: EarshotSocket, on: OnEvent): void {
    on('agents:subscribe', AgentsSubscribeRequest, async (s, { scope }, principal) => {
      assertMayWatchAgents(principal);
      const scopes = this.#following.get(s) ?? new Map<string, Map<string, string>>();
      if (!scopes.has(scope) && scopes.size >= MAX_SCOPES)
        throw new ForbiddenError(`a console follows at most ${MAX_SCOPES} agent scopes`);
      const snapshot = await this.#board.snapshot(scope, principal);
      scopes.set(scope, new Map(snapshot.agents.map((a) => [a.agentId, JSON.stringify(a)])));
      this.#following.set(s, scopes);
      return snapshot;
    });
    on('agents:unsubscribe', AgentsSubscribeRequest, (s, { scope }) => {
      this.#following.get(s)?.delete(scope);
      return null;
    });
  }

  async #tick(): Promise<void> {
    if (this.#ticking || this.#following.size === 0) return;
    this.#ticking = true;
    try {
      const now = Date.now();
      const days = await this.#board.days(now);
      for (const [socket, scopes] of this.#following) {
        for (const [scope, last] of scopes) {
          const snapshot = await this.#board.snapshot(scope, socket.data.principal, now, days);
          const changed: AgentRow[] = [];
          for (const row of snapshot.agents) {
            const json = JSON.stringify(row);
            if (last.get(row.agentId) === json) continue;
            last.set(row.agentId, json);
            changed.push(row);
          }
          if (changed.length)
            socket.emit('agents:update', { scope, at: snapshot.at, agents: changed });
        }
      }
    } catch (error) {
      this.#log.error({ err: error }, 'agents board update failed');
    } finally {
      this.#ticking = false;
    }
  }

  /** Rights changed: the console reloads and subscribes again; nothing is kept for it. */
  rightsChanged(socket: EarshotSocket): void {
    this.#following.delete(socket);
  }

  disconnect(socket: EarshotSocket): void {
    this.#following.delete(socket);
  }

  close(): void {
    clearInterval(this.#timer);
  }
}
