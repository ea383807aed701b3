import { execFileSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readlinkSync,
  rmSync,
  writeSync,
  closeSync,
  unlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  METRICS_AUTH,
  recordingOf,
  startTestServer,
  streamTone,
  udpSocket,
  type TestServer,
} from '../test/harness.ts';

// NOTE: a real small filesystem the test fills and makes read-only: a tmpfs, which needs
// root (as the set-up and CI run); the recordings folder is its mount point.
const dataDir = mkdtempSync(join(tmpdir(), 'earshot-storage-'));
const recordingsDir = join(dataDir, 'recordings');
mkdirSync(recordingsDir);
const mount = (...args: string[]) => execFileSync('mount', args, { stdio: 'pipe' });
let server: TestServer | undefined;
afterAll(async () => {
  await server?.close();
  try {
    execFileSync('umount', ['-l', recordingsDir], { stdio: 'pipe' });
  } catch {
    // not mounted
  }
  rmSync(dataDir, { recursive: true, force: true });
});

/** Fills the filesystem at `dir` until it is full; returns the filler to delete. */
function fill(dir: string): string {
  const file = join(dir, 'filler');
  const fd = openSync(file, 'w');
  const block = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) writeSync(fd, block);
  } catch {
    // ENOSPC: full
  } finally {
    closeSync(fd);
  }
  return file;
}
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const voicedSeconds = (samples: Int16Array) =>
  samples.filter((x) => Math.abs(x) > 500).length / 8000 / 0.97;

describe('recordings under storage faults', () => {
  it('keep every second through a full disk, finish their WAV once the disk is writable again, and say so meanwhile', async () => {
    mount('-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', recordingsDir);
    server = await startTestServer({ EARSHOT_DATA_DIR: dataDir });
    const s = server;
    const health = async () =>
      (await (await fetch(`${s.earshot.url}/healthz`, { headers: METRICS_AUTH })).json()) as {
        status: string;
        reasons: string[];
        recordings: { bytesWaiting: number; writeErrors: number };
      };
    const sender = await udpSocket();
    const { callId, legs } = await s.createCall('PCMU');
    const tone = { codec: 'PCMU' as const, amplitude: 0.3, maxSeconds: 6 };
    const streams = [
      streamTone(sender, legs.agent.port, { ...tone, frequency: 440, ssrc: 1 }),
      streamTone(sender, legs.customer.port, { ...tone, frequency: 900, ssrc: 2 }),
    ];
    await pause(1000);
    // The disk fills up for two seconds: the audio waits in memory, health says so.
    const filler = fill(recordingsDir);
    await pause(1200);
    const during = await health();
    expect(during.status).toBe('degraded');
    expect(during.reasons.join()).toMatch(/recording writes failing/);
    expect(during.recordings.bytesWaiting).toBeGreaterThan(0);
    unlinkSync(filler);
    await pause(1200);
    expect((await health()).status).toBe('ok');
    // Then it fills up again just before the call ends (root ignores permissions, so a
    // full disk is what makes the folder unwritable here), and the call ends while it is.
    await Promise.all(streams.map((x) => x.done));
    await pause(600);
    const again = fill(recordingsDir);
    await s.api('DELETE', `/api/v1/calls/${callId}`);
    expect((await health()).reasons.join()).toMatch(/not finished yet/);
    // Meanwhile the recording is served from what is on disk, not a 404.
    const partial = await fetch(`${s.earshot.url}/api/v1/calls/${callId}/recording`, {
      headers: { cookie: await s.cookie('qa') },
    });
    expect(partial.status).toBe(200);
    unlinkSync(again);
    let finalized = false;
    for (let i = 0; i < 40 && !finalized; i++) {
      await pause(250);
      finalized = (await s.earshot.recordings.info(callId))?.finalized === true;
    }
    expect(finalized).toBe(true);
    const wav = await recordingOf(s, callId);
    // Every second that was sent is there, on both channels.
    expect(voicedSeconds(wav.left)).toBeGreaterThan(5.7);
    expect(voicedSeconds(wav.right)).toBeGreaterThan(5.7);
    const after = await health();
    expect(after.status).toBe('ok');
    expect(after.recordings.writeErrors).toBeGreaterThan(0);
    const metrics = await (
      await fetch(`${s.earshot.url}/metrics`, { headers: METRICS_AUTH })
    ).text();
    expect(metrics).toMatch(/^earshot_recording_write_errors_total [1-9]/m);
    expect(metrics).toMatch(/^earshot_recording_bytes_waiting 0$/m);
    // No file of the recordings is still open.
    const open = readdirSync('/proc/self/fd').flatMap((fd) => {
      try {
        return [readlinkSync(`/proc/self/fd/${fd}`)];
      } catch {
        return [];
      }
    });
    expect(open.filter((p) => p.startsWith(recordingsDir))).toEqual([]);
    sender.close();
  });
});
