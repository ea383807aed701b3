import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LegRecorder, RECORD_HEADER_BYTES } from './LegRecorder.ts';

const dir = mkdtempSync(join(tmpdir(), 'earshot-legrec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const STARTED = 1_700_000_000_000;
/** A 20 ms G.711 payload that tells packet `n` apart from every other. */
const payload = (n: number) => Uint8Array.from({ length: 160 }, (_, i) => (n * 7 + i) & 0xff);

/** The records of a leg log, read by its format: [u32 LE position][u16 LE length][bytes]. */
function records(file: string): { position: number; bytes: Buffer }[] {
  const log = readFileSync(file);
  const out: { position: number; bytes: Buffer }[] = [];
  for (let o = 0; o < log.length;) {
    const length = log.readUInt16LE(o + 4);
    out.push({
      position: log.readUInt32LE(o),
      bytes: log.subarray(o + RECORD_HEADER_BYTES, o + RECORD_HEADER_BYTES + length),
    });
    o += RECORD_HEADER_BYTES + length;
  }
  return out;
}

/** Packet `n` of a steady 8 kHz stream: 160 samples a packet, 20 ms apart. */
const add = (recorder: LegRecorder, n: number) =>
  recorder.addG711(9, 1000 + n * 160, STARTED + n * 20, payload(n));

describe('LegRecorder', () => {
  it('writes every record once and in order while its chunks are filled again across many flushes', async () => {
    const file = join(dir, 'steady.log');
    const recorder = new LegRecorder(file, STARTED, 8000);
    const inFlight: Promise<void>[] = [];
    for (let n = 0; n < 600; n++) {
      add(recorder, n);
      // A flush every 25 packets (half a second); every other one is not awaited, so
      // packets arrive while a write is on its way and a flush finds one still running.
      if (n % 25 === 24) {
        if (n % 50 === 24) inFlight.push(recorder.flush());
        else await recorder.flush();
      }
    }
    await Promise.all(inFlight);
    expect(await recorder.close()).toBe(true);
    const got = records(file);
    expect(got).toHaveLength(600);
    got.forEach((r, n) => {
      expect(r.position).toBe(n * 160);
      expect(r.bytes.equals(Buffer.from(payload(n)))).toBe(true);
    });
  });

  it('keeps what it could not write, in order, and writes it all once the disk takes it', async () => {
    const missing = join(dir, 'later');
    const file = join(missing, 'leg.log');
    const recorder = new LegRecorder(file, STARTED, 8000);
    let now = Date.now();
    // The folder is not there: every attempt fails, and more than one chunk piles up.
    for (let n = 0; n < 200; n++) {
      add(recorder, n);
      if (n % 25 === 24) {
        now += 20_000; // past any back-off
        await recorder.flush(now);
      }
    }
    expect(recorder.storage.writeErrors).toBeGreaterThan(0);
    expect(recorder.storage.pendingBytes).toBe(200 * (RECORD_HEADER_BYTES + 160));
    mkdirSync(missing);
    await recorder.flush(now + 20_000);
    expect(recorder.storage.failingSince).toBeNull();
    for (let n = 200; n < 260; n++) add(recorder, n);
    expect(await recorder.close()).toBe(true);
    const got = records(file);
    expect(got.map((r) => r.position)).toEqual(Array.from({ length: 260 }, (_, n) => n * 160));
    expect(got.every((r, n) => r.bytes.equals(Buffer.from(payload(n))))).toBe(true);
  });
});
