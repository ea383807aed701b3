import { mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRootLogger } from '../log/logger.ts';
import { CallRecording } from './CallRecording.ts';
import { RecordingStore } from './RecordingStore.ts';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

const OLD = '11111111-1111-4111-8111-111111111111';
const NEW = '22222222-2222-4222-8222-222222222222';

describe('recording retention', () => {
  it('deletes finished recordings older than the retention, and nothing else', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'earshot-rec-'));
    dirs.push(dir);
    const store = new RecordingStore(dir, createRootLogger('silent'));
    for (const id of [OLD, NEW]) {
      const startedAt = new Date();
      let recording: CallRecording | undefined;
      await store.start(id, 'PCMU', startedAt, async (files) => {
        recording = new CallRecording({
          callId: id,
          codec: 'PCMU',
          startedAt: startedAt.getTime(),
          logFile: (leg) => files[leg],
          logger: createRootLogger('silent'),
        });
        return recording;
      });
      recording!.legs
        .get('agent')!
        .addG711(1, 0, startedAt.getTime(), new Uint8Array(160).fill(0x10));
      await store.finalize(id, 20);
    }
    const tenDaysAgo = (Date.now() - 10 * 86_400_000) / 1000;
    utimesSync(store.wavFile(OLD), tenDaysAgo, tenDaysAgo);
    expect(await store.deleteOlderThan(30)).toBe(0);
    expect(await store.deleteOlderThan(7)).toBe(1);
    expect(await readdir(dir)).toEqual([NEW]);
    expect(await store.info(NEW)).toMatchObject({ finalized: true, law: 'mulaw', durationMs: 20 });
  });
});
