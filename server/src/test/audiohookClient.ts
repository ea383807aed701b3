// An AudioHook v2 client as Genesys Cloud behaves, written from the published protocol
// (messages, HTTP message signature): Earshot's tests and benchmark play Genesys with it.
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { WebSocket } from 'ws';

export interface AudioHookConnectOptions {
  /** `ws://host:port/api/v1/ingest/audiohook` */
  url: string;
  apiKey: string;
  /** The client secret, base64 (as Genesys takes it); null sends no signature. */
  clientSecret: string | null;
  organizationId?: string;
  sessionId?: string;
  correlationId?: string;
  /** Signature parameters to force (a stale `created`, a reused `nonce`). */
  signature?: { created?: number; expires?: number; nonce?: string; key?: string };
  /** Headers to add or replace after signing (to tamper with a signed one). */
  headers?: Record<string, string>;
  /** The authority to sign, where the client sees the server under another name. */
  authority?: string;
}

export interface ServerMessage {
  version: string;
  id: string;
  type: string;
  seq: number;
  clientseq: number;
  parameters: Record<string, unknown>;
}

const COMPONENTS = [
  '@request-target',
  '@authority',
  'audiohook-organization-id',
  'audiohook-session-id',
  'audiohook-correlation-id',
  'x-api-key',
];

/** The headers of a signed AudioHook upgrade (RFC 9421, hmac-sha256), as Genesys sends them. */
export function audiohookHeaders(
  options: AudioHookConnectOptions & {
    sessionId: string;
    organizationId: string;
    correlationId: string;
  },
): Record<string, string> {
  const url = new URL(options.url);
  const headers: Record<string, string> = {
    'Audiohook-Organization-Id': options.organizationId,
    'Audiohook-Session-Id': options.sessionId,
    'Audiohook-Correlation-Id': options.correlationId,
    'X-API-KEY': options.apiKey,
  };
  if (options.clientSecret !== null) {
    const values: Record<string, string> = {
      '@request-target': url.pathname + url.search,
      '@authority': options.authority ?? url.host,
      'audiohook-organization-id': options.organizationId,
      'audiohook-session-id': options.sessionId,
      'audiohook-correlation-id': options.correlationId,
      'x-api-key': options.apiKey,
    };
    const created = options.signature?.created ?? Math.floor(Date.now() / 1000);
    const expires = options.signature?.expires ?? created + 30;
    const nonce = options.signature?.nonce ?? randomBytes(18).toString('base64url');
    const params = `(${COMPONENTS.map((c) => `"${c}"`).join(' ')});keyid="${options.apiKey}";nonce="${nonce}";alg="hmac-sha256";created=${created};expires=${expires}`;
    const base = [
      ...COMPONENTS.map((c) => `"${c}": ${values[c]}`),
      `"@signature-params": ${params}`,
    ].join('\n');
    const key = Buffer.from(options.signature?.key ?? options.clientSecret, 'base64');
    const signature = createHmac('sha256', key).update(base).digest('base64');
    headers['Signature-Input'] = `sig1=${params}`;
    headers.Signature = `sig1=:${signature}:`;
  }
  return { ...headers, ...options.headers };
}

/** Connects; rejects with the HTTP status when the upgrade is refused. */
export function connectAudioHook(options: AudioHookConnectOptions): Promise<AudioHookClient> {
  const sessionId = options.sessionId ?? randomUUID();
  const organizationId = options.organizationId ?? randomUUID();
  const correlationId = options.correlationId ?? randomUUID();
  const ws = new WebSocket(options.url, {
    headers: audiohookHeaders({ ...options, sessionId, organizationId, correlationId }),
    followRedirects: false,
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(new AudioHookClient(ws, sessionId, organizationId)));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () =>
        reject(
          Object.assign(new Error(`upgrade refused: ${res.statusCode} ${body}`), {
            status: res.statusCode,
            body,
          }),
        ),
      );
    });
    ws.once('error', reject);
  });
}

export class AudioHookClient {
  readonly ws: WebSocket;
  readonly sessionId: string;
  readonly organizationId: string;
  seq = 0;
  serverseq = 0;
  /** Samples sent (the stream position). */
  position = 0;
  readonly received: ServerMessage[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #waiters: { types: string[]; resolve: (m: ServerMessage) => void }[] = [];

  constructor(ws: WebSocket, sessionId: string, organizationId: string) {
    this.ws = ws;
    this.sessionId = sessionId;
    this.organizationId = organizationId;
    this.closed = new Promise((resolve) =>
      ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      const message = JSON.parse((data as Buffer).toString()) as ServerMessage;
      this.received.push(message);
      this.serverseq = message.seq;
      this.#waiters = this.#waiters.filter((w) => {
        if (!w.types.includes(message.type)) return true;
        w.resolve(message);
        return false;
      });
    });
  }

  /** Sends a client message; `overrides` break it on purpose. */
  send(
    type: string,
    parameters: Record<string, unknown> = {},
    overrides: Record<string, unknown> = {},
  ): void {
    this.seq += 1;
    this.ws.send(
      JSON.stringify({
        version: '2',
        id: this.sessionId,
        type,
        seq: this.seq,
        serverseq: this.serverseq,
        position: `PT${this.position / 8000}S`,
        parameters,
        ...overrides,
      }),
    );
  }

  /** The next server message of one of `types` (the oldest not yet taken). */
  next(types: string | string[], timeoutMs = 5000): Promise<ServerMessage> {
    const wanted = typeof types === 'string' ? [types] : types;
    const had = this.received.find((m) => wanted.includes(m.type));
    if (had) {
      this.received.splice(this.received.indexOf(had), 1);
      return Promise.resolve(had);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no ${wanted.join('/')} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.#waiters.push({
        types: wanted,
        resolve: (m) => {
          clearTimeout(timer);
          this.received.splice(this.received.indexOf(m), 1);
          resolve(m);
        },
      });
    });
  }

  /** Opens the session for a conversation and waits for `opened` (or a `disconnect`). */
  async open(
    options: {
      conversationId?: string;
      media?: { type: string; format: string; channels: string[]; rate: number }[];
      participant?: { id?: string; ani?: string; aniName?: string; dnis?: string };
      customConfig?: Record<string, unknown>;
    } = {},
  ): Promise<ServerMessage> {
    this.send('open', {
      organizationId: this.organizationId,
      conversationId: options.conversationId ?? randomUUID(),
      participant: options.participant ?? {
        id: randomUUID(),
        ani: 'tel:+16125550142',
        aniName: 'Pat Caller',
        dnis: 'tel:+18005550100',
      },
      media: options.media ?? [
        { type: 'audio', format: 'PCMU', channels: ['external', 'internal'], rate: 8000 },
        { type: 'audio', format: 'PCMU', channels: ['external'], rate: 8000 },
      ],
      language: 'en-US',
      ...(options.customConfig ? { customConfig: options.customConfig } : {}),
    });
    return this.next(['opened', 'disconnect']);
  }

  /** Sends one binary frame of `samples` samples (interleaved as the media chosen). */
  audio(frame: Uint8Array, samples: number): void {
    this.ws.send(frame);
    this.position += samples;
  }

  /** close → closed, then the socket closes. */
  async close(reason = 'end'): Promise<void> {
    this.send('close', { reason });
    await this.next('closed');
    this.ws.close();
    await this.closed;
  }
}
