import { assertUnreachable, linearToUlaw, type LegName } from '@earshot/shared';
import type { WebSocket } from 'ws';
import type { Logger } from '../../log/logger.ts';
import type { StreamAttachment } from '../StreamCalls.ts';
import { messageBytes } from '../wsUpgrade.ts';
import {
  chooseMedia,
  MAX_AUDIO_BYTES,
  NULL_UUID,
  parseClientMessage,
  ProtocolError,
  type ClientMessage,
  type MediaChoice,
  type OpenParameters,
} from './messages.ts';

type State = 'preparing' | 'opening' | 'active' | 'paused' | 'closing' | 'closed' | 'ending';

/** What a session needs of the service: the call, and a place for its errors. */
export interface SessionHost {
  /** The call a session streams (a new one, or the one its dropped stream left). */
  attach(open: OpenParameters, session: AudioHookSession): Promise<StreamAttachment>;
  noteError(message: string): void;
}

const RATE = 8000;
/** How long the client has to send `open`, and to finish closing after `disconnect`. */
const OPEN_TIMEOUT_MS = 5000;
const CLOSE_TIMEOUT_MS = 5000;
// NOTE: how far a message's position may stray from the audio received (20 ms): order
// is kept on one WebSocket, so a client counting right is exact.
const POSITION_SLACK = RATE / 50;
const ULAW = Uint8Array.from({ length: 65536 }, (_, i) => linearToUlaw(i - 32768));
const LEG_OF: Record<'external' | 'internal', LegName> = {
  external: 'customer',
  internal: 'agent',
};

/**
 * One AudioHook session on one WebSocket, already authenticated: the server side of the
 * protocol (open/opened, ping/pong, paused/resumed, discarded, update, error, close/closed,
 * and Earshot's own disconnect), each message's seq, serverseq and position checked, and
 * the audio of each binary frame fed to its leg at its place: its stream position plus
 * everything paused or discarded before it.
 */
export class AudioHookSession {
  readonly id: string;
  readonly #ws: WebSocket;
  readonly #host: SessionHost;
  readonly #log: Logger;
  #state: State = 'preparing';
  #seq = 0;
  #clientSeq = 0;
  /** Samples of audio received, per channel. */
  #received = 0;
  /** Samples paused or discarded so far: the stream's position leaves them out. */
  #skipped = 0;
  #media: MediaChoice | null = null;
  #call: StreamAttachment | null = null;
  /** How the call ends when the socket closes: null leaves it its grace period. */
  #endAs: 'hangup' | 'media-lost' | null = null;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: { id: string; ws: WebSocket; host: SessionHost; logger: Logger }) {
    this.id = options.id;
    this.#ws = options.ws;
    this.#host = options.host;
    this.#log = options.logger;
    this.#timer = setTimeout(() => this.#fail('no open message within 5 s'), OPEN_TIMEOUT_MS);
    options.ws.on('message', (data, isBinary) => {
      const bytes = messageBytes(data);
      try {
        if (isBinary) this.#onAudio(bytes);
        else this.#onText(bytes.toString('utf8'));
      } catch (error) {
        if (!(error instanceof ProtocolError)) throw error;
        this.#fail(error.message);
      }
    });
    options.ws.on('close', () => this.#onSocketClosed());
    options.ws.on('error', (error) => this.#log.debug({ err: error }, 'AudioHook socket error'));
  }

  /** The call this session streams, once opened. */
  get callId(): string | null {
    return this.#call?.callId ?? null;
  }

  /** Earshot ends the session (the call ended here, or shutdown): `disconnect`, then close. */
  disconnect(reason: 'completed' | 'error' | 'unauthorized', info: string): void {
    if (this.#state === 'closed' || this.#state === 'ending' || this.#state === 'closing') return;
    this.#state = 'ending';
    this.#send('disconnect', { reason, info });
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#ws.terminate(), CLOSE_TIMEOUT_MS);
  }

  #send(type: string, parameters: Record<string, unknown>): void {
    if (this.#ws.readyState !== this.#ws.OPEN) return;
    this.#seq += 1;
    this.#ws.send(
      JSON.stringify({
        version: '2',
        type,
        seq: this.#seq,
        clientseq: this.#clientSeq,
        id: this.id,
        parameters,
      }),
    );
  }

  /** A protocol violation: said once to the client and to admins, and the call is lost. */
  #fail(info: string): void {
    if (this.#state === 'ending' || this.#state === 'closed') return;
    this.#log.warn({ info }, 'AudioHook session refused a message');
    this.#host.noteError(info);
    this.#endAs = 'media-lost';
    this.disconnect('error', info);
  }

  #onText(text: string): void {
    const message = parseClientMessage(text);
    // NOTE: after a disconnect only the client's close matters, whatever its numbering.
    if (this.#state === 'ending') {
      if (message.type === 'close') this.#dispatch(message);
      return;
    }
    if (message.id.toLowerCase() !== this.id)
      throw new ProtocolError('the message id is not the session id');
    if (message.seq !== this.#clientSeq + 1)
      throw new ProtocolError(`seq ${message.seq} out of order (expected ${this.#clientSeq + 1})`);
    this.#clientSeq = message.seq;
    if (message.serverseq > this.#seq)
      throw new ProtocolError(`serverseq ${message.serverseq} is ahead of Earshot's ${this.#seq}`);
    const position = Math.round(message.position * RATE);
    if (
      Math.abs(position - this.#received) > POSITION_SLACK &&
      Math.abs(position - (this.#received + this.#skipped)) > POSITION_SLACK
    )
      throw new ProtocolError(
        `position ${message.position}s does not match the ${this.#received / RATE}s of audio received`,
      );
    this.#call?.alive();
    this.#dispatch(message);
  }

  #dispatch(message: ClientMessage): void {
    switch (message.type) {
      case 'open':
        if (this.#state !== 'preparing') throw new ProtocolError('a second open message');
        this.#state = 'opening';
        clearTimeout(this.#timer);
        void this.#open(message.parameters);
        return;
      case 'ping':
        this.#send('pong', {});
        return;
      case 'update':
        return;
      case 'paused':
        if (this.#state === 'active') this.#state = 'paused';
        return;
      case 'resumed':
        if (this.#state === 'paused') this.#state = 'active';
        this.#skipped += Math.round(message.parameters.discarded * RATE);
        return;
      case 'discarded':
        this.#skipped += Math.round(message.parameters.discarded * RATE);
        return;
      case 'error':
        this.#log.warn(
          { code: message.parameters.code, message: message.parameters.message },
          'the AudioHook client reported an error',
        );
        this.#host.noteError(
          `client error ${message.parameters.code}: ${message.parameters.message}`,
        );
        return;
      case 'close': {
        const reason = message.parameters.reason ?? 'end';
        // NOTE: a client that closes to reconnect will be back: its call waits.
        if (this.#endAs === null)
          this.#endAs = reason === 'end' ? 'hangup' : reason === 'reconnect' ? null : 'media-lost';
        this.#state = 'closing';
        this.#send('closed', {});
        this.#state = 'closed';
        clearTimeout(this.#timer);
        this.#timer = setTimeout(() => this.#ws.terminate(), CLOSE_TIMEOUT_MS);
        return;
      }
      default:
        assertUnreachable(message);
    }
  }

  async #open(params: OpenParameters): Promise<void> {
    const media = chooseMedia(params.media);
    if (!media) {
      this.#fail('no offered media Earshot takes (PCMU or L16, 8 kHz, external/internal)');
      return;
    }
    // A connection probe (Genesys checks the endpoint): opened, and no call.
    if (params.conversationId === NULL_UUID) {
      this.#media = media;
      this.#state = 'active';
      this.#send('opened', { media: [media.offer], startPaused: false });
      return;
    }
    try {
      const call = await this.#host.attach(params, this);
      if (this.#state !== 'opening') {
        // The socket went while the call was being made: it gets its grace period.
        call.detach(null);
        return;
      }
      this.#call = call;
      this.#media = media;
      this.#state = 'active';
      this.#send('opened', { media: [media.offer], startPaused: false });
      this.#log.info(
        {
          callId: call.callId,
          format: media.format,
          channels: media.channels,
          resumed: call.resumed,
        },
        'AudioHook session opened',
      );
    } catch (error) {
      const status = (error as { status?: number }).status;
      this.#fail(
        status === 409 || status === 503 || status === 400
          ? (error as Error).message
          : 'the call could not be started',
      );
      if (status === undefined) this.#log.error({ err: error }, 'AudioHook call failed to start');
    }
  }

  #onAudio(frame: Buffer): void {
    if (this.#state !== 'active' || !this.#media)
      throw new ProtocolError(
        this.#state === 'paused' ? 'audio while paused' : 'audio before the session was opened',
      );
    if (frame.length > MAX_AUDIO_BYTES)
      throw new ProtocolError(`audio frame of ${frame.length} bytes (at most ${MAX_AUDIO_BYTES})`);
    const { channels, format } = this.#media;
    const width = format === 'L16' ? 2 : 1;
    const stride = width * channels.length;
    if (frame.length % stride !== 0)
      throw new ProtocolError(`audio frame of ${frame.length} bytes is not whole samples`);
    const samples = frame.length / stride;
    const position = this.#received + this.#skipped;
    this.#received += samples;
    if (!this.#call || samples === 0) return;
    channels.forEach((channel, c) => {
      const out = new Uint8Array(samples);
      if (width === 1) for (let i = 0; i < samples; i++) out[i] = frame[i * stride + c]!;
      else
        for (let i = 0; i < samples; i++)
          out[i] = ULAW[frame.readInt16LE(i * stride + c * 2) + 32768]!;
      this.#call!.feed(LEG_OF[channel], position, out);
    });
  }

  #onSocketClosed(): void {
    clearTimeout(this.#timer);
    const wasClosed = this.#state === 'closed';
    this.#state = 'closed';
    if (!this.#call) return;
    if (!wasClosed && this.#endAs === null)
      this.#log.warn({ callId: this.#call.callId }, 'AudioHook stream dropped without closing');
    this.#call.detach(this.#endAs);
  }
}
