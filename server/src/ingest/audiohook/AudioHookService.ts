import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AuditEntry } from '../../audit/AuditLog.ts';
import { StreamEndpoint } from '../StreamEndpoint.ts';
import type { CallService, CallSpec } from '../../calls/CallService.ts';
import type { Logger } from '../../log/logger.ts';
import type { OrgRepository } from '../../org/OrgRepository.ts';
import { numberOf } from '../siprec/offer.ts';
import type { StreamCalls } from '../StreamCalls.ts';
import type { Integration, StreamIntegrations } from '../StreamIntegrations.ts';
import { outsideView, refuseUpgrade } from '../wsUpgrade.ts';
import { LocalNonces, type Nonces } from './Nonces.ts';
import { AudioHookSession } from './AudioHookSession.ts';
import type { OpenParameters } from './messages.ts';
import { verifyUpgradeSignature } from './signature.ts';

export const AUDIOHOOK_PATH = '/api/v1/ingest/audiohook';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const header = (req: IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name];
  return (Array.isArray(v) ? v[0] : v)?.trim();
};

/**
 * Genesys Cloud AudioHook (v2): the WebSocket endpoint Genesys streams conversations to.
 * An upgrade is authenticated before any session exists (API key, AudioHook headers, a
 * fresh HTTP message signature never seen before); each session becomes a call through
 * the stream registry, its channels the two legs.
 */
export class AudioHookService {
  readonly #integrations: StreamIntegrations;
  readonly #streams: StreamCalls;
  readonly #calls: CallService;
  readonly #org: OrgRepository;
  readonly #log: Logger;
  readonly #publicUrl: URL | undefined;
  readonly #nonces: Nonces;
  readonly #endpoint: StreamEndpoint<AudioHookSession>;

  constructor(options: {
    integrations: StreamIntegrations;
    streams: StreamCalls;
    calls: CallService;
    org: OrgRepository;
    record: (entry: AuditEntry) => void;
    logger: Logger;
    publicUrl: URL | undefined;
    /** Where signature nonces are remembered: shared by every node when there are several. */
    nonces?: Nonces;
  }) {
    this.#nonces = options.nonces ?? new LocalNonces();
    this.#integrations = options.integrations;
    this.#streams = options.streams;
    this.#calls = options.calls;
    this.#org = options.org;
    this.#log = options.logger;
    this.#publicUrl = options.publicUrl;
    this.#endpoint = new StreamEndpoint({
      record: options.record,
      actor: { id: 'audiohook', name: 'AudioHook' },
      action: 'audiohook.refused',
      logger: options.logger,
    });
  }

  /** Sessions connected now. */
  get sessions(): number {
    return this.#endpoint.size;
  }

  /** Takes an upgrade to AUDIOHOOK_PATH: a session, or a 401/403 and an audit record. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const refuse = (status: 401 | 403 | 400, reason: string) =>
      this.#endpoint.refuse(req, socket, status, reason, {
        sessionId: header(req, 'audiohook-session-id')?.slice(0, 64) ?? null,
      });
    const organizationId = header(req, 'audiohook-organization-id');
    const sessionId = header(req, 'audiohook-session-id');
    const correlationId = header(req, 'audiohook-correlation-id');
    if (!organizationId || !UUID.test(organizationId))
      return refuse(400, 'Audiohook-Organization-Id must be a UUID');
    if (!sessionId || !UUID.test(sessionId))
      return refuse(400, 'Audiohook-Session-Id must be a UUID');
    if (!correlationId || correlationId.length > 128)
      return refuse(400, 'Audiohook-Correlation-Id is missing');
    const apiKey = header(req, 'x-api-key') ?? '';
    const integration = apiKey ? this.#integrations.audiohook(apiKey) : undefined;
    const view = outsideView(req, this.#publicUrl);
    const now = Date.now();
    const checked = verifyUpgradeSignature(
      { headers: req.headers, requestTarget: view.requestTarget, authority: view.authority },
      () => integration?.secret,
      now,
    );
    if (!checked.ok) {
      if (integration)
        this.#integrations.noteError(integration, `upgrade refused: ${checked.reason}`);
      return refuse(checked.status, checked.reason);
    }
    if (!integration) return refuse(401, 'unknown API key');
    if (integration.organizationId && integration.organizationId !== organizationId.toLowerCase()) {
      this.#integrations.noteError(
        integration,
        `upgrade from another organization (${organizationId})`,
      );
      return refuse(403, 'this API key belongs to another Genesys organization');
    }
    this.#nonces.claim(checked.nonce, checked.expiresAt).then(
      (fresh) => {
        if (!fresh) {
          this.#integrations.noteError(integration, 'replayed upgrade refused');
          return refuse(403, 'this signature was used already (replayed upgrade)');
        }
        this.#accept(req, socket, head, integration, organizationId, sessionId);
      },
      () =>
        refuseUpgrade(
          socket,
          503,
          'unavailable',
          'the upgrade cannot be checked for replay now (Redis); try again',
        ),
    );
  }

  #accept(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    integration: Integration,
    organizationId: string,
    sessionId: string,
  ): void {
    this.#endpoint.accept(req, socket, head, integration, (ws) => {
      const id = sessionId.toLowerCase();
      return new AudioHookSession({
        id,
        ws,
        logger: this.#log.child({ audiohookSession: id }),
        host: {
          attach: (open, s) => this.#attach(integration, organizationId, open, s),
          noteError: (message) => this.#integrations.noteError(integration, message),
        },
      });
    });
  }

  async #attach(
    integration: Integration,
    organizationId: string,
    open: OpenParameters,
    session: AudioHookSession,
  ) {
    if (open.organizationId.toLowerCase() !== organizationId.toLowerCase())
      throw Object.assign(
        new Error('the open message names another organization than the upgrade'),
        {
          status: 400,
        },
      );
    const participant = open.participant ?? {};
    const key = `audiohook:${integration.id}:${open.conversationId.toLowerCase()}:${participant.id ?? ''}`;
    return this.#streams.attach(
      key,
      async (): Promise<CallSpec> => ({
        externalId: open.conversationId.toLowerCase(),
        place: await this.#placeOf(open),
        customer: {
          ...(numberOf(participant.ani) ? { number: numberOf(participant.ani) } : {}),
          ...(participant.aniName?.trim()
            ? { name: participant.aniName.trim().slice(0, 120) }
            : {}),
        },
        codec: 'PCMU',
        payloadType: 0,
        legs: { agent: { fed: true }, customer: { fed: true } },
      }),
      () => session.disconnect('completed', 'the call ended in Earshot'),
    );
  }

  /**
   * The agent: named by the integration's custom configuration (`agentId`), else the agent
   * whose number is the DNIS; else none yet (the ACD's call.answered names them later).
   */
  async #placeOf(open: OpenParameters) {
    const configured = open.customConfig?.agentId;
    if (typeof configured === 'string') {
      const place = await this.#calls.placeOfAgent(configured);
      if (place) return place;
    }
    const dnis = numberOf(open.participant?.dnis);
    const agentId = dnis ? (await this.#org.addresses()).find(dnis) : undefined;
    return (agentId && (await this.#calls.placeOfAgent(agentId))) || null;
  }

  /** Tells every session the server is going away. */
  close(): void {
    this.#endpoint.close((session) => session.disconnect('completed', 'Earshot is shutting down'));
  }
}
