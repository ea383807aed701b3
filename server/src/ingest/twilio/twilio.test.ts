import { linearToUlaw } from '@earshot/shared';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectTwilio, hexSid, twilioSignature } from '../../test/twilioClient.ts';
import {
  eventually,
  onsetNear,
  peak,
  recordingOf,
  startTestServer,
  toneFrequency,
  type TestServer,
} from '../../test/harness.ts';

const ACCOUNT = hexSid('AC');
const TOKEN = randomHex();
const PUBLIC = 'https://earshot.example.com';
const SIGNED_URL = `wss://earshot.example.com/api/v1/ingest/twilio`;
const RATE = 8000;

function randomHex(): string {
  return [...Array(32)].map(() => Math.floor(Math.random() * 16).toString(16)).join('');
}

let server: TestServer;
let url: string;

beforeAll(async () => {
  server = await startTestServer({
    EARSHOT_TWILIO_ACCOUNT_SID: ACCOUNT,
    EARSHOT_TWILIO_AUTH_TOKEN: TOKEN,
    EARSHOT_PUBLIC_URL: PUBLIC,
    EARSHOT_STREAM_GRACE_MS: '1500',
  });
  url = `${server.earshot.url.replace('http', 'ws')}/api/v1/ingest/twilio`;
});
afterAll(() => server?.close());

/** Twilio's own signature for the stream URL, from the official library. */
const signed = (token = TOKEN, signedUrl = SIGNED_URL) => twilioSignature(token, signedUrl);

const tone = (frequency: number, ms: number, from = 0) =>
  Uint8Array.from({ length: (ms * RATE) / 1000 }, (_, i) =>
    linearToUlaw(Math.round(12000 * Math.sin((2 * Math.PI * frequency * (from + i)) / RATE))),
  );

const callOf = (externalId: string) =>
  eventually(async () => server.earshot.calls.list().find((c) => c.externalId === externalId));

describe('Twilio Media Streams', () => {
  it('a both_tracks stream becomes a call: inbound is the customer, outbound the agent, custom parameters name the agent; stop hangs up', async () => {
    const stream = await connectTwilio({ url, signature: signed() });
    const callSid = hexSid('CA');
    stream.connected();
    stream.start({
      accountSid: ACCOUNT,
      callSid,
      customParameters: { agentId: 'a-olsen', externalId: 'flex-task-1' },
    });
    const call = await callOf('flex-task-1');
    expect(call.agent.id).toBe('a-olsen');
    for (let p = 0; p < 100; p++) {
      stream.media('inbound', p * 20, tone(440, 20, p * 160));
      stream.media('outbound', p * 20, tone(1000, 20, p * 160));
      if (p === 50) {
        stream.mark('halfway');
        stream.dtmf('5');
      }
    }
    stream.stop(ACCOUNT, callSid);
    expect((await stream.closed).code).toBe(1000);
    const ended = await server.waitForCall(call.id, (c) => c.state === 'ended', 'the call to end');
    expect(ended.endReason).toBe('hangup');
    expect(ended.legs.customer.packets).toBe(100);
    expect(ended.legs.agent.packets).toBe(100);
    const wav = await recordingOf(server, call.id);
    expect(toneFrequency(wav.right.subarray(400, 6400))).toBeCloseTo(440, -1);
    expect(toneFrequency(wav.left.subarray(400, 6400))).toBeCloseTo(1000, -1);
  });

  it('without an externalId the call is known by its callSid; 60 s placed by timestamp within 20 ms, a 2 s gap silent at its place', async () => {
    const stream = await connectTwilio({ url, signature: signed() });
    const callSid = hexSid('CA');
    stream.connected();
    stream.start({ accountSid: ACCOUNT, callSid });
    const call = await callOf(callSid);
    expect(call.unmatched).toBe(true);
    // Each second opens with 100 ms of tone on each track; no media from 30 s to 32 s.
    // Sent ten times faster than real time: only timestamps can place it.
    for (let s = 0; s < 62; s++) {
      if (s === 30 || s === 31) continue;
      for (let p = 0; p < 50; p++) {
        const loud = p < 5;
        const at = s * 1000 + p * 20;
        stream.media('inbound', at, loud ? tone(440, 20, p * 160) : new Uint8Array(160).fill(0xff));
        stream.media(
          'outbound',
          at,
          loud ? tone(1000, 20, p * 160) : new Uint8Array(160).fill(0xff),
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    stream.stop(ACCOUNT, callSid);
    await server.waitForCall(call.id, (c) => c.state === 'ended', 'the call to end');
    const wav = await recordingOf(server, call.id);
    for (let s = 0; s < 62; s++) {
      if (s === 30 || s === 31) continue;
      expect(
        Math.abs(onsetNear(wav.right, s * RATE) - s * RATE),
        `inbound, second ${s}`,
      ).toBeLessThanOrEqual(160);
      expect(
        Math.abs(onsetNear(wav.left, s * RATE) - s * RATE),
        `outbound, second ${s}`,
      ).toBeLessThanOrEqual(160);
    }
    const gap = (ch: Int16Array) => peak(ch.subarray(30 * RATE + 160, 32 * RATE - 160));
    expect(gap(wav.left)).toBeLessThan(200);
    expect(gap(wav.right)).toBeLessThan(200);
  });

  it('an account registered with inbound = agent puts the inbound track on the agent leg', async () => {
    const accountSid = hexSid('AC');
    const authToken = randomHex();
    const created = await server.api(
      'POST',
      '/api/v1/integrations/twilio',
      { name: 'Flex outbound', accountSid, authToken, inbound: 'agent' },
      { as: 'admin' },
    );
    expect(created.status).toBe(201);
    expect(
      JSON.stringify(await server.earshot.db.all('SELECT * FROM stream_integrations')),
    ).not.toContain(authToken);
    const stream = await connectTwilio({ url, signature: signed(authToken) });
    const callSid = hexSid('CA');
    stream.start({ accountSid, callSid });
    const call = await callOf(callSid);
    for (let p = 0; p < 25; p++) stream.media('inbound', p * 20, tone(1000, 20, p * 160));
    stream.stop(accountSid, callSid);
    const ended = await server.waitForCall(call.id, (c) => c.state === 'ended', 'the call to end');
    expect(ended.legs.agent.packets).toBe(25);
    expect(ended.legs.customer.packets).toBe(0);
  });

  it('refuses an upgrade without a signature, with another token, or signed for another URL, before any call exists', async () => {
    const before = server.earshot.calls.list().length;
    const refused = (signature: string | null) =>
      connectTwilio({ url, signature }).then(
        (s) => (s.ws.close(), null),
        (e: { status: number }) => e.status,
      );
    expect(await refused(null)).toBe(401);
    expect(await refused(signed(randomHex()))).toBe(403);
    expect(await refused(signed(TOKEN, 'wss://elsewhere.example.com/api/v1/ingest/twilio'))).toBe(
      403,
    );
    expect(twilio.validateRequest(TOKEN, signed(), SIGNED_URL, {})).toBe(true);
    expect(server.earshot.calls.list().length).toBe(before);
    await eventually(async () => {
      const { body } = await server.api<{ records: unknown[] }>(
        'GET',
        '/api/v1/audit?action=twilio.refused',
        undefined,
        { as: 'admin' },
      );
      return body.records.length >= 2 || undefined;
    });
  });

  it('closes a stream that breaks the protocol with 1008: media before start, sequence out of order, unsupported media, binary, another account', async () => {
    const broken = async (
      play: (s: Awaited<ReturnType<typeof connectTwilio>>) => void,
      reason: RegExp,
    ) => {
      const stream = await connectTwilio({ url, signature: signed() });
      play(stream);
      const closed = await stream.closed;
      expect(closed.code).toBe(1008);
      expect(closed.reason).toMatch(reason);
    };
    const before = server.earshot.calls.list().length;
    await broken((s) => s.media('inbound', 0, tone(440, 20)), /media before start/);
    await broken(
      (s) =>
        s.start({
          accountSid: ACCOUNT,
          callSid: hexSid('CA'),
          mediaFormat: { encoding: 'audio/x-l16', sampleRate: 16000, channels: 1 },
        }),
      /unsupported media/,
    );
    await broken((s) => s.ws.send(Buffer.alloc(320)), /binary/);
    await broken(
      (s) => s.start({ accountSid: hexSid('AC'), callSid: hexSid('CA') }),
      /another account/,
    );
    expect(server.earshot.calls.list().length).toBe(before);
    const callSid = hexSid('CA');
    const stream = await connectTwilio({ url, signature: signed() });
    stream.start({ accountSid: ACCOUNT, callSid });
    const call = await callOf(callSid);
    stream.media('inbound', 0, tone(440, 20));
    stream.media('inbound', 20, tone(440, 20), 9);
    const closed = await stream.closed;
    expect(closed).toMatchObject({
      code: 1008,
      reason: expect.stringMatching(/sequenceNumber 9 out of order/),
    });
    const ended = await server.waitForCall(call.id, (c) => c.state === 'ended', 'the call to end');
    expect(ended.endReason).toBe('media-lost');
  });

  it('a stream that drops without stop resumes its call when the same callSid comes back within the grace period', async () => {
    const callSid = hexSid('CA');
    const first = await connectTwilio({ url, signature: signed() });
    first.start({ accountSid: ACCOUNT, callSid });
    const call = await callOf(callSid);
    first.media('inbound', 0, tone(440, 20));
    first.ws.terminate();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const second = await connectTwilio({ url, signature: signed() });
    second.start({ accountSid: ACCOUNT, callSid });
    second.media('inbound', 0, tone(440, 20));
    await new Promise((resolve) => setTimeout(resolve, 1800));
    expect(server.earshot.calls.list().find((c) => c.id === call.id)?.state).not.toBe('ended');
    second.stop(ACCOUNT, callSid);
    const ended = await server.waitForCall(call.id, (c) => c.state === 'ended', 'the call to end');
    expect(ended.endReason).toBe('hangup');
    expect(ended.legs.customer.packets).toBe(2);
  });
});
