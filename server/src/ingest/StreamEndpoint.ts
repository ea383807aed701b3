import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { AuditEntry } from '../audit/AuditLog.ts';
import type { Logger } from '../log/logger.ts';
import { RefusalAudit } from './RefusalAudit.ts';
import type { Integration } from './StreamIntegrations.ts';
import { refuseUpgrade, upgradeServer } from './wsUpgrade.ts';

/**
 * What a WebSocket ingest endpoint (AudioHook, Twilio) does around its protocol: refuse an
 * upgrade (a status, an audit record), accept one for an integration (counted as its live
 * session until the socket closes), and end every session at shutdown.
 */
export class StreamEndpoint<S> {
  readonly #wss = upgradeServer();
  readonly #sessions = new Set<S>();
  readonly #refusals: RefusalAudit;

  constructor(options: {
    record: (entry: AuditEntry) => void;
    actor: AuditEntry['actor'];
    action: AuditEntry['action'];
    logger: Logger;
  }) {
    this.#refusals = new RefusalAudit(options);
  }

  /** Sessions connected now. */
  get size(): number {
    return this.#sessions.size;
  }

  refuse(
    req: IncomingMessage,
    socket: Duplex,
    status: 400 | 401 | 403,
    reason: string,
    details: Record<string, unknown> = {},
  ): void {
    this.#refusals.refused(req.socket.remoteAddress ?? 'unknown', reason, details);
    refuseUpgrade(socket, status, status === 400 ? 'bad_request' : 'unauthorized', reason);
  }

  /** Completes the upgrade: `start` makes the session over the new WebSocket. */
  accept(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    integration: Integration,
    start: (ws: WebSocket) => S,
  ): void {
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      integration.liveSessions += 1;
      integration.sessions += 1;
      const session = start(ws);
      this.#sessions.add(session);
      ws.on('close', () => {
        integration.liveSessions -= 1;
        this.#sessions.delete(session);
      });
    });
  }

  /** Ends every session with `end` (shutdown). */
  close(end: (session: S) => void): void {
    for (const session of this.#sessions) end(session);
    this.#wss.close();
  }
}
