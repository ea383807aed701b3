import { buildRtp, linearToUlaw, type Call } from '@earshot/shared';
import { describe, expect, it } from 'vitest';
import { useTestServer } from '../test/fixtures.ts';
import { decodeWav, sendTone } from '../test/harness.ts';

const t = useTestServer();
/** A GET as a QA reviewer (who replays every center's recordings). */
const get = async (url: string, headers: Record<string, string> = {}) =>
  fetch(url, { headers: { cookie: await t.server.cookie('qa'), ...headers } });
const RATE = 8000;

/** A 20 ms frame of a sine at `frequency`, µ-law, continuing phase across frames. */
const frame = (n: number, frequency: number, amplitude: number) =>
  Uint8Array.from({ length: 160 }, (_, i) =>
    linearToUlaw(32767 * amplitude * Math.sin((2 * Math.PI * frequency * (n * 160 + i)) / RATE)),
  );

/** Zero-crossing frequency of a stretch of samples. */
function frequency(samples: Int16Array): number {
  let crossings = 0;
  for (let i = 1; i < samples.length; i++) if (samples[i - 1]! < 0 !== samples[i]! < 0) crossings++;
  return (crossings / 2) * (RATE / samples.length);
}

const rms = (samples: Int16Array) =>
  Math.sqrt(samples.reduce((s, x) => s + x * x, 0) / Math.max(1, samples.length));
const at = (samples: Int16Array, fromMs: number, toMs: number) =>
  samples.subarray((fromMs * RATE) / 1000, (toMs * RATE) / 1000);

describe('recordings', () => {
  it('records both legs on one call clock: right channel, the beep within 20 ms, late start, gaps, a timestamp jump, total duration', async () => {
    const { callId, legs } = await t.server.createCall('PCMU');
    const { startedAt } = (await t.server.api<Call>('GET', `/api/v1/calls/${callId}`)).body;
    const started = Date.parse(startedAt);
    let beepSentAt = 0;
    const start = Date.now();
    // 3 s of agent (440 Hz, a loud 1 kHz beep at frame 75); the customer (700 Hz) starts
    // 1 s late, loses frames 20-29, and its timestamps jump by 10 s after frame 60.
    for (let n = 0; n < 150; n++) {
      const wait = start + n * 20 - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const beep = n >= 75 && n < 80;
      if (n === 75) beepSentAt = Date.now();
      const agent = buildRtp(
        { payloadType: 0, sequenceNumber: 100 + n, timestamp: 5000 + n * 160, ssrc: 0xa },
        beep ? frame(n, 1000, 0.9) : frame(n, 440, 0.2),
      );
      t.sender.send(agent, legs.agent.port, '127.0.0.1');
      const c = n - 50;
      if (c >= 0 && !(c >= 20 && c < 30)) {
        const jump = c > 60 ? 80_000 : 0;
        const customer = buildRtp(
          { payloadType: 0, sequenceNumber: 7 + c, timestamp: 900_000 + c * 160 + jump, ssrc: 0xc },
          frame(c, 700, 0.2),
        );
        t.sender.send(customer, legs.customer.port, '127.0.0.1');
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    const ended = (await t.server.api<Call>('DELETE', `/api/v1/calls/${callId}`)).body;
    const response = await get(`${t.server.earshot.url}/api/v1/calls/${callId}/recording`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('audio/wav');
    const wav = decodeWav(Buffer.from(await response.arrayBuffer()));
    expect(wav).toMatchObject({ format: 7, channels: 2, sampleRate: 8000 });

    // Total duration: the call's, to within a few ms.
    const durationMs = (wav.left.length / RATE) * 1000;
    const callMs = Date.parse(ended.endedAt!) - started;
    expect(Math.abs(durationMs - callMs)).toBeLessThan(25);

    // The beep: where the first loud sample is, against when its packet was sent.
    const loud = wav.left.findIndex((s) => Math.abs(s) > 0.6 * 32767);
    const beepMs = (loud / RATE) * 1000;
    expect(Math.abs(beepMs - (beepSentAt - started))).toBeLessThan(20);

    // Right signal on the right channel.
    const agentStart = ((start - started) * RATE) / 1000;
    expect(frequency(wav.left.subarray(agentStart + 800, agentStart + 8000))).toBeCloseTo(440, -1);
    const customerStartMs = start - started + 1000;
    expect(rms(at(wav.right, 0, customerStartMs - 30))).toBeLessThan(50); // silent until the late leg starts
    expect(frequency(at(wav.right, customerStartMs + 20, customerStartMs + 380))).toBeCloseTo(
      700,
      -1,
    );
    // The lost frames (customer frames 20-29) are silence in their place.
    expect(rms(at(wav.right, customerStartMs + 410, customerStartMs + 590))).toBeLessThan(50);
    expect(rms(at(wav.right, customerStartMs + 620, customerStartMs + 1100))).toBeGreaterThan(3000);
    // After the timestamp jump the customer stays in place: audio right up to the end, not 10 s later.
    expect(rms(at(wav.right, customerStartMs + 1260, customerStartMs + 1900))).toBeGreaterThan(
      3000,
    );
  });

  it('serves ranges and segments, and refuses malformed ranges', async () => {
    const { callId, legs } = await t.server.createCall('PCMA');
    await sendTone(t.sender, legs.agent.port, {
      codec: 'PCMA',
      frequency: 500,
      amplitude: 0.3,
      packets: 100,
    });
    await t.server.api('DELETE', `/api/v1/calls/${callId}`);
    const url = `${t.server.earshot.url}/api/v1/calls/${callId}/recording`;

    const whole = await get(url);
    const size = Number(whole.headers.get('content-length'));
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    const part = await get(url, { range: 'bytes=44-1043' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 44-1043/${size}`);
    expect((await part.arrayBuffer()).byteLength).toBe(1000);

    const segment = await get(`${url}?from=500&to=1500&download=1`);
    expect(segment.status).toBe(200);
    expect(segment.headers.get('content-disposition')).toMatch(
      /^attachment; filename="call-.*-500-1500\.wav"$/,
    );
    const decoded = decodeWav(Buffer.from(await segment.arrayBuffer()));
    expect(decoded.format).toBe(6);
    expect(decoded.left.length).toBe(8000);

    for (const bad of [
      'from=10',
      'from=900&to=100',
      'from=abc&to=100',
      'from=-5&to=100',
      'from=99999999&to=999999999',
    ]) {
      const res = await get(`${url}?${bad}`);
      expect(res.status, bad).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
        'validation_failed',
      );
    }
    expect(
      (
        await get(
          `${t.server.earshot.url}/api/v1/calls/00000000-0000-4000-8000-000000000000/recording`,
        )
      ).status,
    ).toBe(404);
  });
});
