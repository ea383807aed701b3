import { assertUnreachable, type LegName } from '@earshot/shared';
import type { WebSocket } from 'ws';
import type { Logger } from '../../log/logger.ts';
import type { StreamAttachment } from '../StreamCalls.ts';
import { messageBytes } from '../wsUpgrade.ts';
import type { Integration } from '../StreamIntegrations.ts';
import { parseTwilioMessage, TwilioProtocolError, type TwilioMessage } from './messages.ts';

export type StartMessage = Extract<TwilioMessage, { event: 'start' }>;

export interface TwilioHost {
  attach(start: StartMessage, session: TwilioSession): Promise<StreamAttachment>;
  noteError(message: string): void;
}

const RATE = 8000;
const START_TIMEOUT_MS = 10_000;
/** WebSocket close codes: the stream broke the protocol; Earshot ended the call. */
const POLICY = 1008;
const NORMAL = 1000;

/**
 * One Twilio Media Stream on one WebSocket, its upgrade already signed by the account:
 * `connected`, `start` (the call, its tracks and custom parameters), `media` (µ-law
 * placed on the call clock by its timestamp), `mark` and `dtmf` (taken, not used) and
 * `stop`. Sequence numbers must run on by one. Twilio has no error message: a broken
 * stream is closed with 1008 and a reason.
 */
export class TwilioSession {
  readonly #ws: WebSocket;
  readonly #host: TwilioHost;
  readonly #account: Integration;
  readonly #log: Logger;
  #seq = 0;
  #state: 'waiting' | 'starting' | 'streaming' | 'stopped' | 'failed' = 'waiting';
  #call: StreamAttachment | null = null;
  #streamSid = '';
  readonly #legOf: ReadonlyMap<string, LegName>;
  #endAs: 'hangup' | 'media-lost' | null = null;
  #timer: NodeJS.Timeout | undefined;
  /** Media that came while the call was being made: [leg, timestamp ms, µ-law]. */
  readonly #early: [LegName, number, Buffer][] = [];

  constructor(options: { ws: WebSocket; host: TwilioHost; account: Integration; logger: Logger }) {
    this.#ws = options.ws;
    this.#host = options.host;
    this.#account = options.account;
    this.#log = options.logger;
    const other: LegName = options.account.inbound === 'customer' ? 'agent' : 'customer';
    this.#legOf = new Map([
      ['inbound', options.account.inbound],
      ['outbound', other],
    ]);
    this.#timer = setTimeout(() => this.#fail('no start message within 10 s'), START_TIMEOUT_MS);
    options.ws.on('message', (data, isBinary) => {
      try {
        if (isBinary)
          throw new TwilioProtocolError('binary message (Media Streams sends JSON text)');
        const bytes = messageBytes(data);
        this.#onMessage(parseTwilioMessage(bytes.toString('utf8')));
      } catch (error) {
        if (!(error instanceof TwilioProtocolError)) throw error;
        this.#fail(error.message);
      }
    });
    options.ws.on('close', () => this.#onSocketClosed());
    options.ws.on('error', (error) => this.#log.debug({ err: error }, 'Twilio socket error'));
  }

  get callId(): string | null {
    return this.#call?.callId ?? null;
  }

  /** Earshot ends the stream (the call ended here, or shutdown). */
  end(reason: string): void {
    if (this.#state === 'stopped' || this.#state === 'failed') return;
    this.#state = 'stopped';
    this.#ws.close(NORMAL, reason.slice(0, 120));
  }

  #fail(reason: string): void {
    if (this.#state === 'failed' || this.#state === 'stopped') return;
    this.#state = 'failed';
    this.#log.warn({ reason }, 'Twilio stream refused');
    this.#host.noteError(reason);
    this.#endAs = 'media-lost';
    clearTimeout(this.#timer);
    this.#ws.close(POLICY, reason.slice(0, 120));
  }

  #onMessage(message: TwilioMessage): void {
    if (this.#state === 'failed' || this.#state === 'stopped') return;
    if (message.event !== 'connected') {
      if (message.sequenceNumber !== this.#seq + 1)
        throw new TwilioProtocolError(
          `sequenceNumber ${message.sequenceNumber} out of order (expected ${this.#seq + 1})`,
        );
      this.#seq = message.sequenceNumber;
      if (this.#state !== 'waiting' && message.streamSid !== this.#streamSid)
        throw new TwilioProtocolError('the message names another stream');
    }
    this.#call?.alive();
    switch (message.event) {
      case 'connected':
        return;
      case 'start': {
        if (this.#state !== 'waiting') throw new TwilioProtocolError('a second start message');
        const format = message.start.mediaFormat;
        if (
          format.encoding !== 'audio/x-mulaw' ||
          format.sampleRate !== 8000 ||
          format.channels !== 1
        )
          throw new TwilioProtocolError(
            `unsupported media ${format.encoding} ${format.sampleRate} Hz x${format.channels} (Earshot takes audio/x-mulaw 8000 Hz mono)`,
          );
        if (message.start.accountSid !== this.#account.accountSid)
          throw new TwilioProtocolError('the stream names another account than its signature');
        this.#streamSid = message.streamSid;
        this.#state = 'starting';
        clearTimeout(this.#timer);
        void this.#start(message);
        return;
      }
      case 'media': {
        if (this.#state === 'waiting') throw new TwilioProtocolError('media before start');
        const leg = this.#legOf.get(message.media.track);
        if (!leg) throw new TwilioProtocolError(`unknown track "${message.media.track}"`);
        const audio = Buffer.from(message.media.payload, 'base64');
        if (audio.length > 16_000) throw new TwilioProtocolError('media payload over 2 s');
        // Media that came while the call was being made is placed all the same.
        if (this.#call) this.#call.feed(leg, message.media.timestamp * (RATE / 1000), audio);
        else this.#early.push([leg, message.media.timestamp, audio]);
        if (this.#early.length > 500)
          throw new TwilioProtocolError('the call could not start in time');
        return;
      }
      case 'mark':
      case 'dtmf':
        return;
      case 'stop':
        this.#endAs = 'hangup';
        this.#state = 'stopped';
        this.#ws.close(NORMAL, 'stopped');
        return;
      default:
        assertUnreachable(message);
    }
  }

  async #start(start: StartMessage): Promise<void> {
    try {
      const call = await this.#host.attach(start, this);
      if (this.#state !== 'starting' && this.#state !== 'stopped') {
        call.detach(this.#endAs);
        return;
      }
      this.#call = call;
      for (const [leg, ts, audio] of this.#early.splice(0))
        call.feed(leg, ts * (RATE / 1000), audio);
      if (this.#state === 'stopped') {
        call.detach(this.#endAs ?? 'hangup');
        return;
      }
      this.#state = 'streaming';
      this.#log.info({ callId: call.callId, resumed: call.resumed }, 'Twilio stream started');
    } catch (error) {
      const status = (error as { status?: number }).status;
      if (status === undefined) this.#log.error({ err: error }, 'Twilio call failed to start');
      this.#fail(
        status === 409 || status === 503
          ? (error as Error).message
          : 'the call could not be started',
      );
    }
  }

  #onSocketClosed(): void {
    clearTimeout(this.#timer);
    if (this.#state === 'streaming' && this.#endAs === null)
      this.#log.warn({ callId: this.#call?.callId }, 'Twilio stream dropped without stop');
    const wasStarting = this.#state === 'starting';
    if (this.#state !== 'stopped') this.#state = 'failed';
    // A stream still starting is detached once its call exists (see #start).
    if (!wasStarting) this.#call?.detach(this.#endAs);
  }
}
