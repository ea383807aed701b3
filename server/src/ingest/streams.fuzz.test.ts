import { randomUUID } from 'node:crypto';
import { connect as tcp } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audiohookHeaders, connectAudioHook } from '../test/audiohookClient.ts';
import { eventually, startTestServer, type TestServer } from '../test/harness.ts';
import { seeded, type Seeded } from '../test/random.ts';
import { connectTwilio, hexSid, twilioSignature } from '../test/twilioClient.ts';

const API_KEY = 'fuzz-audiohook-api-key-0123456789';
const SECRET = Buffer.from('fuzz-audiohook-client-secret-0123456789').toString('base64');
const ACCOUNT = hexSid('AC');
const TOKEN = 'f'.repeat(32);

let server: TestServer;
let base: string;

beforeAll(async () => {
  server = await startTestServer({
    EARSHOT_AUDIOHOOK_API_KEY: API_KEY,
    EARSHOT_AUDIOHOOK_CLIENT_SECRET: SECRET,
    EARSHOT_TWILIO_ACCOUNT_SID: ACCOUNT,
    EARSHOT_TWILIO_AUTH_TOKEN: TOKEN,
    EARSHOT_STREAM_GRACE_MS: '300',
    EARSHOT_CALL_IDLE_TIMEOUT_MS: '2000',
  });
  base = server.earshot.url.replace('http', 'ws');
});
afterAll(() => server?.close());

/** Something JSON-shaped, nearly right or plainly wrong. */
function hostileJson(r: Seeded, sessionId: string, seq: number): string {
  const values = [
    null,
    true,
    -1,
    1e308,
    'x'.repeat(r.int(300)),
    [],
    {},
    'PT-1S',
    'PT1e9S',
    seq,
    sessionId,
  ];
  const types = [
    'open',
    'close',
    'ping',
    'paused',
    'resumed',
    'discarded',
    'update',
    'error',
    'nope',
    '__proto__',
  ];
  const message: Record<string, unknown> = {
    version: r.pick(['2', 2, '1', undefined]),
    id: r.pick([sessionId, randomUUID(), 'x']),
    type: r.pick(types),
    seq: r.pick([seq, seq + 5, -1, 'one']),
    serverseq: r.pick([0, 99, -3]),
    position: r.pick(['PT0S', 'PT1.5S', 'bad', 5]),
    parameters: r.pick([
      {},
      {
        media: r.pick([
          [],
          'x',
          [{ type: 'audio', format: 'PCMU', channels: ['external', 'internal'], rate: 8000 }],
        ]),
      },
      {
        organizationId: randomUUID(),
        conversationId: randomUUID(),
        media: [{ type: 'audio', format: 'L16', channels: ['internal'], rate: 8000 }],
      },
      { start: 'PT1S', discarded: r.pick(['PT2S', 'PT-1S', 7]) },
      Object.fromEntries(
        Array.from({ length: r.int(20) }, () => [`k${r.int(99)}`, r.pick(values)]),
      ),
    ]),
  };
  return r.next() < 0.1 ? JSON.stringify(message).slice(0, r.int(80)) : JSON.stringify(message);
}

// NOTE: large frames are one repeated byte: the fuzz is their size, and the test's own
// garbage must not be what the memory bound measures.
const bytes = (r: Seeded, n: number) =>
  n > 4096 ? Buffer.alloc(n, r.int(256)) : Buffer.from(Array.from({ length: n }, () => r.int(256)));

/** A masked client text frame (RFC 6455), to write a byte at a time. */
function maskedText(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = Buffer.from([1, 2, 3, 4]);
  const header =
    payload.length < 126
      ? Buffer.from([0x81, 0x80 | payload.length])
      : Buffer.from([0x81, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
  return Buffer.concat([header, mask, Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!))]);
}

describe('the stream endpoints under hostile input', () => {
  it('random JSON, random binary and oversized frames on both endpoints: no crash, no call left open, memory bounded', async () => {
    const r = seeded(20261201);
    const heapBefore = process.memoryUsage().heapUsed;
    for (let round = 0; round < 6; round++) {
      await Promise.all(
        Array.from({ length: 20 }, async (_, n) => {
          if ((round + n) % 2 === 0) {
            const client = await connectAudioHook({
              url: `${base}/api/v1/ingest/audiohook`,
              apiKey: API_KEY,
              clientSecret: SECRET,
            });
            client.ws.on('error', () => undefined);
            if (r.next() < 0.6) await client.open().catch(() => undefined);
            for (let m = 0; m < 30 && client.ws.readyState === client.ws.OPEN; m++) {
              const kind = r.int(4);
              if (kind === 0) client.ws.send(hostileJson(r, client.sessionId, client.seq + 1));
              else if (kind === 1) client.ws.send(bytes(r, r.int(4000)));
              else if (kind === 2) client.ws.send(bytes(r, 70_000 + r.int(1_100_000)));
              else client.send(r.pick(['ping', 'paused', 'update']), {});
            }
            if (r.next() < 0.5) client.ws.terminate();
            else client.ws.close();
          } else {
            const stream = await connectTwilio({
              url: `${base}/api/v1/ingest/twilio`,
              signature: twilioSignature(TOKEN, `${base}/api/v1/ingest/twilio`),
            });
            stream.ws.on('error', () => undefined);
            if (r.next() < 0.6) stream.start({ accountSid: ACCOUNT, callSid: hexSid('CA') });
            for (let m = 0; m < 30 && stream.ws.readyState === stream.ws.OPEN; m++) {
              const kind = r.int(4);
              if (kind === 0)
                stream.ws.send(
                  JSON.stringify({
                    event: r.pick(['media', 'start', 'stop', 'x']),
                    sequenceNumber: String(r.int(50)),
                    media: {
                      track: r.pick(['inbound', 'outbound', 'both']),
                      timestamp: String(r.int(1e6)),
                      payload: r.pick(['', '!!', bytes(r, 160).toString('base64')]),
                    },
                  }),
                );
              else if (kind === 1) stream.ws.send(bytes(r, r.int(2000)));
              else if (kind === 2) stream.ws.send('x'.repeat(70_000 + r.int(1_100_000)));
              else stream.media(r.pick(['inbound', 'outbound']), r.int(1e5), bytes(r, 160));
            }
            if (r.next() < 0.5) stream.ws.terminate();
            else stream.ws.close();
          }
        }),
      );
    }
    // Every call a fuzzed stream opened ends (grace, then idle at the latest).
    await eventually(
      async () =>
        server.earshot.streams.size === 0 && server.earshot.calls.list().length === 0
          ? true
          : undefined,
      15_000,
      'every fuzzed call to end',
    );
    expect((await fetch(`${server.earshot.url}/healthz`)).status).toBe(200);
    expect(server.earshot.audiohook.sessions + server.earshot.twilio.sessions).toBe(0);
    global.gc?.();
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024);
  });

  it('a half-open session that never opens is cut off within the open timeout; a slow but honest client is served', async () => {
    const upgrade = (headers: Record<string, string>) => {
      const socket = tcp(Number(new URL(server.earshot.url).port), '127.0.0.1');
      socket.write(
        [
          'GET /api/v1/ingest/audiohook HTTP/1.1',
          `Host: ${new URL(server.earshot.url).host}`,
          'Upgrade: websocket',
          'Connection: Upgrade',
          'Sec-WebSocket-Version: 13',
          `Sec-WebSocket-Key: ${Buffer.from(randomUUID().slice(0, 16)).toString('base64')}`,
          ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
          '',
          '',
        ].join('\r\n'),
      );
      const closed = new Promise<number>((resolve) => {
        const start = Date.now();
        socket.on('close', () => resolve(Date.now() - start));
        socket.on('error', () => undefined);
      });
      return { socket, closed };
    };
    const ids = () => ({
      sessionId: randomUUID(),
      organizationId: randomUUID(),
      correlationId: randomUUID(),
    });
    const url = `${base}/api/v1/ingest/audiohook`;
    const silent = upgrade(
      audiohookHeaders({ url, apiKey: API_KEY, clientSecret: SECRET, ...ids() }),
    );
    silent.socket.resume();
    // Half-open: authenticated, then nothing: told after 5 s, cut off 5 s later.
    expect(await silent.closed).toBeLessThan(12_000);

    // A slow client: the open message a byte every 5 ms still gets its answer.
    const id = ids();
    const slow = upgrade(audiohookHeaders({ url, apiKey: API_KEY, clientSecret: SECRET, ...id }));
    let answered = '';
    slow.socket.on('data', (d: Buffer) => (answered += d.toString('latin1')));
    const open = JSON.stringify({
      version: '2',
      id: id.sessionId,
      type: 'open',
      seq: 1,
      serverseq: 0,
      position: 'PT0S',
      parameters: {
        organizationId: id.organizationId,
        conversationId: '00000000-0000-0000-0000-000000000000',
        media: [{ type: 'audio', format: 'PCMU', channels: ['external'], rate: 8000 }],
      },
    });
    const frame = maskedText(open);
    await new Promise((resolve) => setTimeout(resolve, 100));
    for (const byte of frame) {
      slow.socket.write(Buffer.from([byte]));
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await eventually(async () => (answered.includes('"opened"') ? true : undefined));
    slow.socket.destroy();
    expect(server.earshot.calls.list().length).toBe(0);
  });
});
