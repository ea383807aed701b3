// A Twilio Media Streams client as Twilio behaves (<Start><Stream track="both_tracks">),
// written from Twilio's published message format: the tests play Twilio with it.
import { randomBytes } from 'node:crypto';
import twilio from 'twilio';
import { WebSocket } from 'ws';

/** The X-Twilio-Signature Twilio sends for a stream URL, from Twilio's own library. */
export const twilioSignature = (authToken: string, url: string) =>
  twilio.getExpectedTwilioSignature(authToken, url, {});

export const hexSid = (prefix: string) => `${prefix}${randomBytes(16).toString('hex')}`;

export interface TwilioConnectOptions {
  url: string;
  /** X-Twilio-Signature; null sends none. */
  signature: string | null;
}

/** Connects; rejects with the HTTP status when the upgrade is refused. */
export function connectTwilio(options: TwilioConnectOptions): Promise<TwilioStream> {
  const ws = new WebSocket(options.url, {
    headers: options.signature === null ? {} : { 'X-Twilio-Signature': options.signature },
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(new TwilioStream(ws)));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () =>
        reject(
          Object.assign(new Error(`upgrade refused: ${res.statusCode}`), {
            status: res.statusCode,
            body,
          }),
        ),
      );
    });
    ws.once('error', reject);
  });
}

export class TwilioStream {
  readonly ws: WebSocket;
  readonly streamSid = hexSid('MZ');
  readonly closed: Promise<{ code: number; reason: string }>;
  seq = 0;
  #chunks = { inbound: 0, outbound: 0 };

  constructor(ws: WebSocket) {
    this.ws = ws;
    this.closed = new Promise((resolve) =>
      ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
  }

  #send(message: Record<string, unknown>): void {
    this.ws.send(JSON.stringify(message));
  }

  connected(): void {
    this.#send({ event: 'connected', protocol: 'Call', version: '1.0.0' });
  }

  start(options: {
    accountSid: string;
    callSid: string;
    customParameters?: Record<string, string>;
    mediaFormat?: { encoding: string; sampleRate: number; channels: number };
  }): void {
    this.seq += 1;
    this.#send({
      event: 'start',
      sequenceNumber: String(this.seq),
      start: {
        accountSid: options.accountSid,
        streamSid: this.streamSid,
        callSid: options.callSid,
        tracks: ['inbound', 'outbound'],
        customParameters: options.customParameters ?? {},
        mediaFormat: options.mediaFormat ?? {
          encoding: 'audio/x-mulaw',
          sampleRate: 8000,
          channels: 1,
        },
      },
      streamSid: this.streamSid,
    });
  }

  /** One media message: µ-law `payload` of `track` at `timestamp` ms of the stream. */
  media(track: 'inbound' | 'outbound', timestamp: number, payload: Uint8Array, seq?: number): void {
    this.seq += 1;
    this.#chunks[track] += 1;
    this.#send({
      event: 'media',
      sequenceNumber: String(seq ?? this.seq),
      media: {
        track,
        chunk: String(this.#chunks[track]),
        timestamp: String(timestamp),
        payload: Buffer.from(payload).toString('base64'),
      },
      streamSid: this.streamSid,
    });
  }

  mark(name: string): void {
    this.seq += 1;
    this.#send({
      event: 'mark',
      sequenceNumber: String(this.seq),
      streamSid: this.streamSid,
      mark: { name },
    });
  }

  dtmf(digit: string): void {
    this.seq += 1;
    this.#send({
      event: 'dtmf',
      sequenceNumber: String(this.seq),
      streamSid: this.streamSid,
      dtmf: { track: 'inbound_track', digit },
    });
  }

  stop(accountSid: string, callSid: string): void {
    this.seq += 1;
    this.#send({
      event: 'stop',
      sequenceNumber: String(this.seq),
      streamSid: this.streamSid,
      stop: { accountSid, callSid },
    });
  }
}
