import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AuditEntry } from '../../audit/AuditLog.ts';
import { StreamEndpoint } from '../StreamEndpoint.ts';
import type { CallService, CallSpec } from '../../calls/CallService.ts';
import type { Logger } from '../../log/logger.ts';
import { numberOf } from '../siprec/offer.ts';
import type { StreamCalls } from '../StreamCalls.ts';
import type { Integration, StreamIntegrations } from '../StreamIntegrations.ts';
import { outsideView } from '../wsUpgrade.ts';
import { validTwilioSignature } from './signature.ts';
import { TwilioSession, type StartMessage } from './TwilioSession.ts';

export const TWILIO_PATH = '/api/v1/ingest/twilio';

/**
 * Twilio Media Streams (`<Start><Stream track="both_tracks">`): the WebSocket endpoint a
 * Twilio call streams to. The upgrade must carry a valid X-Twilio-Signature of a
 * registered account; each stream becomes a call, its inbound and outbound tracks the
 * legs the account's setting names.
 */
export class TwilioService {
  readonly #integrations: StreamIntegrations;
  readonly #streams: StreamCalls;
  readonly #calls: CallService;
  readonly #log: Logger;
  readonly #publicUrl: URL | undefined;
  readonly #endpoint: StreamEndpoint<TwilioSession>;

  constructor(options: {
    integrations: StreamIntegrations;
    streams: StreamCalls;
    calls: CallService;
    record: (entry: AuditEntry) => void;
    logger: Logger;
    publicUrl: URL | undefined;
  }) {
    this.#integrations = options.integrations;
    this.#streams = options.streams;
    this.#calls = options.calls;
    this.#log = options.logger;
    this.#publicUrl = options.publicUrl;
    this.#endpoint = new StreamEndpoint({
      record: options.record,
      actor: { id: 'twilio', name: 'Twilio' },
      action: 'twilio.refused',
      logger: options.logger,
    });
  }

  get sessions(): number {
    return this.#endpoint.size;
  }

  /** Takes an upgrade to TWILIO_PATH: a stream, or a 401/403 and an audit record. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const raw = req.headers['x-twilio-signature'];
    const signature = (Array.isArray(raw) ? raw[0] : raw)?.trim();
    if (!signature) return this.#endpoint.refuse(req, socket, 401, 'no X-Twilio-Signature header');
    const { url } = outsideView(req, this.#publicUrl);
    const account = this.#integrations
      .twilioAccounts()
      .find((a) => validTwilioSignature(a.secret, signature, url));
    if (!account)
      return this.#endpoint.refuse(
        req,
        socket,
        403,
        'X-Twilio-Signature does not match any registered account',
      );
    this.#endpoint.accept(
      req,
      socket,
      head,
      account,
      (ws) =>
        new TwilioSession({
          ws,
          account,
          logger: this.#log.child({ twilioAccount: account.accountSid }),
          host: {
            attach: (start, s) => this.#attach(account, start, s),
            noteError: (message) => this.#integrations.noteError(account, message),
          },
        }),
    );
  }

  async #attach(account: Integration, message: StartMessage, session: TwilioSession) {
    const { callSid, customParameters = {} } = message.start;
    return this.#streams.attach(
      `twilio:${account.id}:${callSid}`,
      async (): Promise<CallSpec> => {
        const agentId = customParameters.agentId;
        const place = agentId ? ((await this.#calls.placeOfAgent(agentId)) ?? null) : null;
        if (agentId && !place)
          this.#integrations.noteError(
            account,
            `customParameters.agentId "${agentId.slice(0, 64)}" is no agent of the organisation`,
          );
        const number = numberOf(customParameters.customerNumber);
        const name = customParameters.customerName?.trim();
        return {
          externalId: (customParameters.externalId?.trim() || callSid).slice(0, 128),
          place,
          customer: {
            ...(number ? { number } : {}),
            ...(name ? { name: name.slice(0, 120) } : {}),
          },
          codec: 'PCMU',
          payloadType: 0,
          legs: { agent: { fed: true }, customer: { fed: true } },
        };
      },
      () => session.end('the call ended in Earshot'),
    );
  }

  close(): void {
    this.#endpoint.close((session) => session.end('Earshot is shutting down'));
  }
}
