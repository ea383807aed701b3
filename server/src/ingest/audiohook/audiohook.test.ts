import { randomUUID } from 'node:crypto';
import { linearToUlaw, type Call } from '@earshot/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAudioHook, type AudioHookClient } from '../../test/audiohookClient.ts';
import {
  eventually,
  onsetNear,
  peak,
  recordingOf,
  startTestServer,
  toneFrequency,
  type TestServer,
} from '../../test/harness.ts';

const API_KEY = 'test-audiohook-api-key-0123456789';
const SECRET = Buffer.from('test-audiohook-client-secret-0123456789').toString('base64');
const RATE = 8000;

let server: TestServer;
let url: string;

beforeAll(async () => {
  server = await startTestServer({
    EARSHOT_AUDIOHOOK_API_KEY: API_KEY,
    EARSHOT_AUDIOHOOK_CLIENT_SECRET: SECRET,
    EARSHOT_STREAM_GRACE_MS: '1500',
  });
  url = `${server.earshot.url.replace('http', 'ws')}/api/v1/ingest/audiohook`;
});
afterAll(() => server?.close());

const connect = (extra: Partial<Parameters<typeof connectAudioHook>[0]> = {}) =>
  connectAudioHook({ url, apiKey: API_KEY, clientSecret: SECRET, ...extra });

/** Stereo PCMU (external, internal) of two tones, `ms` long, from sample `from` of each. */
function stereo(ms: number, tones: { external: number; internal: number }, from = 0): Uint8Array {
  const n = (ms * RATE) / 1000;
  const out = new Uint8Array(n * 2);
  for (let i = 0; i < n; i++) {
    const t = (from + i) / RATE;
    out[i * 2] = linearToUlaw(Math.round(12000 * Math.sin(2 * Math.PI * tones.external * t)));
    out[i * 2 + 1] = linearToUlaw(Math.round(12000 * Math.sin(2 * Math.PI * tones.internal * t)));
  }
  return out;
}

const callOf = (conversationId: string) =>
  eventually(async () => server.earshot.calls.list().find((c) => c.externalId === conversationId));
const liveCalls = () => server.earshot.calls.list().length;

const refusal = async (options: Parameters<typeof connect>[0]) => {
  const error = (await connect(options).then(
    (c) => (c.ws.close(), null),
    (e: unknown) => e,
  )) as { status: number; body: string } | null;
  return error;
};

describe('AudioHook', () => {
  it('a Genesys session becomes a live call: both channels as legs, ping answered, close ends it as a hangup', async () => {
    const client = await connect();
    const conversationId = randomUUID();
    const opened = await client.open({ conversationId });
    expect(opened.type).toBe('opened');
    expect(opened.clientseq).toBe(1);
    expect(opened.parameters.media).toEqual([
      { type: 'audio', format: 'PCMU', channels: ['external', 'internal'], rate: 8000 },
    ]);
    const call = await callOf(conversationId);
    expect(call.customer).toMatchObject({ number: '+16125550142', name: 'Pat Caller' });
    expect(call.unmatched).toBe(true);
    client.send('ping', {});
    expect((await client.next('pong')).clientseq).toBe(2);
    for (let f = 0; f < 20; f++)
      client.audio(stereo(100, { external: 440, internal: 1000 }, f * 800), 800);
    await client.close();
    const ended = await server.waitForCall(call.id, (c) => c.state === 'ended', 'the call to end');
    expect(ended.endReason).toBe('hangup');
    expect(ended.legs.agent.packets).toBe(100);
    expect(ended.legs.customer.packets).toBe(100);
    const wav = await recordingOf(server, call.id);
    expect(toneFrequency(wav.left.subarray(800, 8800))).toBeCloseTo(1000, -1);
    expect(toneFrequency(wav.right.subarray(800, 8800))).toBeCloseTo(440, -1);
  });

  it('a 60 s session with a 2 s pause: each second recorded within 20 ms of its position, the pause silent at its place', async () => {
    const client = await connect();
    const conversationId = randomUUID();
    await client.open({ conversationId });
    const call = await callOf(conversationId);
    // Each second starts with 100 ms of 440 Hz on the customer's channel, and has 100 ms
    // of 1000 Hz on the agent's at 500 ms: sent ten times faster than real time, so that
    // arrival times say nothing and only positions can place it.
    const second = (s: number) => {
      const frame = new Uint8Array(RATE * 2).fill(0xff);
      const burst = stereo(100, { external: 440, internal: 1000 }, s * RATE);
      for (let i = 0; i < 800; i++) {
        frame[i * 2] = burst[i * 2]!;
        frame[(4000 + i) * 2 + 1] = burst[i * 2 + 1]!;
      }
      return frame;
    };
    for (let s = 0; s < 60; s++) {
      if (s === 30) {
        client.send('paused');
        await new Promise((resolve) => setTimeout(resolve, 100));
        client.send('resumed', { start: 'PT30S', discarded: 'PT2S' });
      }
      const frame = second(s);
      // 200 ms frames, as Genesys sends them.
      for (let k = 0; k < 5; k++) client.audio(frame.subarray(k * 3200, (k + 1) * 3200), 1600);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await client.close();
    await server.waitForCall(call.id, (c) => c.state === 'ended', 'the call to end');
    const wav = await recordingOf(server, call.id);
    expect(wav.left.length).toBeGreaterThanOrEqual(62 * RATE);
    for (let s = 0; s < 60; s++) {
      const at = (s < 30 ? s : s + 2) * RATE;
      expect(Math.abs(onsetNear(wav.right, at) - at), `customer, second ${s}`).toBeLessThanOrEqual(
        160,
      );
      expect(
        Math.abs(onsetNear(wav.left, at + 4000) - (at + 4000)),
        `agent, second ${s}`,
      ).toBeLessThanOrEqual(160);
    }
    const pause = (ch: Int16Array) => peak(ch.subarray(30 * RATE + 160, 32 * RATE - 160));
    expect(pause(wav.left)).toBeLessThan(200);
    expect(pause(wav.right)).toBeLessThan(200);
  });

  it('takes a mono offer (customer only) and L16 when that is all that is offered', async () => {
    const mono = await connect();
    const monoId = randomUUID();
    const opened = await mono.open({
      conversationId: monoId,
      media: [{ type: 'audio', format: 'PCMU', channels: ['external'], rate: 8000 }],
    });
    expect(opened.parameters.media).toEqual([
      { type: 'audio', format: 'PCMU', channels: ['external'], rate: 8000 },
    ]);
    const monoCall = await callOf(monoId);
    mono.audio(
      stereo(500, { external: 440, internal: 440 }).filter((_, i) => i % 2 === 0),
      4000,
    );
    await mono.close();
    const monoEnded = await server.waitForCall(monoCall.id, (c) => c.state === 'ended', 'mono end');
    expect(monoEnded.legs.customer.packets).toBe(25);
    expect(monoEnded.legs.agent.packets).toBe(0);

    const l16 = await connect();
    const l16Id = randomUUID();
    const l16Opened = await l16.open({
      conversationId: l16Id,
      media: [
        { type: 'audio', format: 'opus', channels: ['external', 'internal'], rate: 48000 },
        { type: 'audio', format: 'L16', channels: ['internal', 'external'], rate: 8000 },
      ],
    });
    expect(l16Opened.parameters.media).toEqual([
      { type: 'audio', format: 'L16', channels: ['internal', 'external'], rate: 8000 },
    ]);
    const l16Call = await callOf(l16Id);
    const frame = Buffer.alloc(8000 * 4);
    for (let i = 0; i < 8000; i++) {
      frame.writeInt16LE(Math.round(12000 * Math.sin((2 * Math.PI * 1000 * i) / RATE)), i * 4);
      frame.writeInt16LE(Math.round(12000 * Math.sin((2 * Math.PI * 440 * i) / RATE)), i * 4 + 2);
    }
    for (let k = 0; k < 4; k++) l16.audio(frame.subarray(k * 8000, (k + 1) * 8000), 2000);
    await l16.close();
    await server.waitForCall(l16Call.id, (c) => c.state === 'ended', 'L16 end');
    const wav = await recordingOf(server, l16Call.id);
    expect(toneFrequency(wav.left.subarray(400, 6400))).toBeCloseTo(1000, -1);
    expect(toneFrequency(wav.right.subarray(400, 6400))).toBeCloseTo(440, -1);
  });

  it('refuses an upgrade with a wrong API key, no, a bad, a tampered, a stale or a replayed signature: no session, an audit record', async () => {
    const before = liveCalls();
    expect(
      await refusal({ apiKey: 'another-api-key-0123456789', clientSecret: SECRET, url }),
    ).toMatchObject({ status: 401 });
    expect(await refusal({ url, apiKey: API_KEY, clientSecret: null })).toMatchObject({
      status: 401,
    });
    expect(
      await refusal({
        url,
        apiKey: API_KEY,
        clientSecret: SECRET,
        signature: { key: Buffer.from('wrong secret 0123456789').toString('base64') },
      }),
    ).toMatchObject({ status: 401 });
    expect(
      await refusal({
        url,
        apiKey: API_KEY,
        clientSecret: SECRET,
        headers: { 'Audiohook-Session-Id': randomUUID() },
      }),
    ).toMatchObject({ status: 401 });
    expect(
      await refusal({
        url,
        apiKey: API_KEY,
        clientSecret: SECRET,
        authority: 'elsewhere.example.com',
      }),
    ).toMatchObject({ status: 401 });
    const old = Math.floor(Date.now() / 1000) - 120;
    expect(
      await refusal({
        url,
        apiKey: API_KEY,
        clientSecret: SECRET,
        signature: { created: old, expires: old + 30 },
      }),
    ).toMatchObject({ status: 403 });
    const replayed = {
      sessionId: randomUUID(),
      organizationId: randomUUID(),
      correlationId: randomUUID(),
      signature: { nonce: 'nonce-used-once-0123456789', created: Math.floor(Date.now() / 1000) },
    };
    const first = await connect(replayed);
    const again = await refusal({ url, apiKey: API_KEY, clientSecret: SECRET, ...replayed });
    expect(again).toMatchObject({ status: 403 });
    expect(again?.body).toContain('replayed');
    first.ws.close();
    const wanted = [
      'unknown API key',
      'the signature does not match',
      'this signature was used already (replayed upgrade)',
    ];
    await eventually(async () => {
      const { body } = await server.api<{ records: { details: { reason: string } }[] }>(
        'GET',
        '/api/v1/audit?action=audiohook.refused',
        undefined,
        { as: 'admin' },
      );
      const reasons = body.records.map((e) => e.details.reason);
      return wanted.every((w) => reasons.includes(w)) || undefined;
    });
    expect(liveCalls()).toBe(before);
  });

  it('answers protocol errors with a disconnect: unsupported media, seq out of order, a frame too large, audio before open, a wrong position', async () => {
    const expectDisconnect = async (client: AudioHookClient, info: RegExp) => {
      const message = await client.next('disconnect');
      expect(message.parameters.reason).toBe('error');
      expect(String(message.parameters.info)).toMatch(info);
      client.send('close', { reason: 'disconnect' });
      await client.next('closed');
      client.ws.close();
    };
    const unsupported = await connect();
    const refused = await unsupported.open({
      media: [{ type: 'audio', format: 'opus', channels: ['external'], rate: 48000 }],
    });
    expect(refused.type).toBe('disconnect');
    expect(String(refused.parameters.info)).toMatch(/no offered media/);
    unsupported.ws.close();

    const early = await connect();
    early.audio(new Uint8Array(320), 160);
    await expectDisconnect(early, /before the session was opened/);

    const big = await connect();
    await big.open();
    big.audio(new Uint8Array(70_000), 35_000);
    await expectDisconnect(big, /audio frame of 70000 bytes/);

    const disorder = await connect();
    const conversationId = randomUUID();
    await disorder.open({ conversationId });
    const call = await callOf(conversationId);
    disorder.send('ping', {}, { seq: 7 });
    await expectDisconnect(disorder, /seq 7 out of order/);
    const lost = await server.waitForCall(call.id, (c) => c.state === 'ended', 'the call to end');
    expect(lost.endReason).toBe('media-lost');

    const drift = await connect();
    await drift.open();
    drift.audio(new Uint8Array(3200), 1600);
    drift.send('ping', {}, { position: 'PT9S' });
    await expectDisconnect(drift, /position 9s does not match/);

    // A connection probe (Genesys checks the endpoint): opened, and no call made.
    const probe = await connect();
    const probeOpened = await probe.open({
      conversationId: '00000000-0000-0000-0000-000000000000',
    });
    expect(probeOpened.type).toBe('opened');
    await probe.close();
    expect(
      server.earshot.calls
        .list()
        .some((c) => c.externalId === '00000000-0000-0000-0000-000000000000'),
    ).toBe(false);
  });

  it('a stream that drops keeps its call for the grace period; a reconnect within it resumes the same call, else it ends media-lost', async () => {
    const conversationId = randomUUID();
    const participant = { id: randomUUID(), ani: 'tel:+16125550199' };
    const first = await connect();
    await first.open({ conversationId, participant });
    const call = await callOf(conversationId);
    first.audio(stereo(200, { external: 440, internal: 1000 }), 1600);
    first.ws.terminate();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(
      (await server.api<Call>('GET', `/api/v1/calls/${call.id}`, undefined, { as: 'admin' })).body
        .state,
    ).not.toBe('ended');
    const second = await connect();
    const opened = await second.open({ conversationId, participant });
    expect(opened.type).toBe('opened');
    second.audio(stereo(200, { external: 440, internal: 1000 }), 1600);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(
      (await server.api<Call>('GET', `/api/v1/calls/${call.id}`, undefined, { as: 'admin' })).body
        .state,
    ).not.toBe('ended');
    second.ws.terminate();
    const ended = await server.waitForCall(
      call.id,
      (c) => c.state === 'ended',
      'the call to end',
      5000,
    );
    expect(ended.endReason).toBe('media-lost');
    expect(ended.legs.customer.packets).toBe(20);
  });

  it('a call without its agent takes the agent the ACD says answered the conversation', async () => {
    const client = await connect();
    const conversationId = randomUUID();
    await client.open({ conversationId });
    const call = await callOf(conversationId);
    expect(call.unmatched).toBe(true);
    await server.events([
      {
        id: `ah-${conversationId}`,
        type: 'call.answered',
        at: new Date().toISOString(),
        callId: conversationId,
        agentId: 'a-olsen',
      },
    ]);
    const matched = await server.waitForCall(call.id, (c) => c.agent.id === 'a-olsen', 'the agent');
    expect(matched.team).toBe('mpls-care-1');
    await client.close();
  });

  it('admins create an integration whose key and secret are shown once and work at once, and see its live sessions', async () => {
    const created = await server.api<{ id: string; apiKey: string; clientSecret: string }>(
      'POST',
      '/api/v1/integrations/audiohook',
      { name: 'Genesys EU' },
      { as: 'admin' },
    );
    expect(created.status).toBe(201);
    const { apiKey, clientSecret } = created.body;
    const stored = JSON.stringify(await server.earshot.db.all('SELECT * FROM stream_integrations'));
    expect(stored).not.toContain(apiKey);
    expect(stored).not.toContain(clientSecret);
    const client = await connectAudioHook({ url, apiKey, clientSecret });
    await client.open();
    const list = await server.api<{
      integrations: { id: string; liveSessions: number; apiKey?: string }[];
    }>('GET', '/api/v1/integrations/streams', undefined, { as: 'admin' });
    const mine = list.body.integrations.find((i) => i.id === created.body.id)!;
    expect(mine.liveSessions).toBe(1);
    expect(mine).not.toHaveProperty('apiKey');
    await client.close();
    expect(
      (await server.api('GET', '/api/v1/integrations/streams', undefined, { as: 'qa' })).status,
    ).toBe(403);
    expect(
      (
        await server.api('DELETE', `/api/v1/integrations/streams/${created.body.id}`, undefined, {
          as: 'admin',
        })
      ).status,
    ).toBe(200);
    expect(await refusal({ url, apiKey, clientSecret })).toMatchObject({ status: 401 });
  });
});
