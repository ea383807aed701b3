import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EMPTY_CALL_AUDIO, type Call } from '@earshot/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteDatabase } from '../db/SqliteDatabase.ts';
import { CallRepository } from './CallRepository.ts';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

const leg = {
  ip: '127.0.0.1',
  port: 45000,
  packets: 10,
  bytes: 1720,
  dropped: 0,
  lost: 0,
  level: 0.5,
  lastPacketAt: null,
};
const call: Call = {
  id: '6a4c1f2e-1111-4222-8333-444455556666',
  externalId: 'acd-7',
  center: 'mn-minneapolis',
  region: 'upper-midwest',
  team: 'mpls-care-1',
  agent: { id: 'a-olsen', name: 'Kari Olsen' },
  customer: { number: '+16125550142', name: null },
  participants: [],
  unmatched: false,
  codec: 'PCMU',
  payloadType: 0,
  state: 'talking',
  startedAt: '2026-11-23T10:00:00.000Z',
  endedAt: null,
  endReason: null,
  legs: { agent: leg, customer: { ...leg, port: 45001 } },
  listeners: 0,
  audio: EMPTY_CALL_AUDIO,
  flags: [],
  discrepancies: 0,
  episodes: [],
  acd: { queue: null, holds: 0, disposition: null },
};

describe('call storage', () => {
  it('keeps calls across a restart and ends the ones a crashed run left live', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'earshot-db-'));
    dirs.push(dir);
    const file = join(dir, 'earshot.sqlite');
    const first = SqliteDatabase.open(file);
    await new CallRepository(first).insert(call);
    // Its last media came at 10:03; the process dies with the call live.
    await new CallRepository(first).touch([{ id: call.id, at: '2026-11-23T10:03:00.000Z' }]);
    await first.close();

    const second = SqliteDatabase.open(file);
    const repo = new CallRepository(second);
    // Restarted later: the call ended when its media stopped, not at the restart.
    expect(await repo.endOrphans()).toBe(1);
    expect(await repo.find(call.id)).toEqual({
      ...call,
      state: 'ended',
      endedAt: '2026-11-23T10:03:00.000Z',
      endReason: 'server-restart',
    });
    expect(await repo.endOrphans()).toBe(0);
    await second.close();
  });

  it('rolls a failed transaction back whole', async () => {
    const db = SqliteDatabase.open(':memory:');
    await expect(
      db.transaction(async (tx) => {
        await new CallRepository(tx).insert(call);
        await new CallRepository(tx).insert(call); // duplicate id
      }),
    ).rejects.toThrow();
    expect(await new CallRepository(db).find(call.id)).toBeUndefined();
    await db.close();
  });
});
