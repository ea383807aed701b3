import { describe, expect, it } from 'vitest';
import { SqliteDatabase } from '../db/SqliteDatabase.ts';
import { AuditLog } from './AuditLog.ts';

const dana = { id: 'console-dana', name: 'Dana' };

describe('audit trail', () => {
  it('chains every record, verifies, and points at the first record someone changed, removed or slipped in', async () => {
    const db = SqliteDatabase.open(':memory:');
    const audit = new AuditLog(db);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        audit.append({
          actor: dana,
          action: i % 2 ? 'listen.stop' : 'listen.start',
          target: `call-${i}`,
          details: { i },
        }),
      ),
    );
    expect(await audit.verify()).toEqual({ ok: true, records: 20 });
    expect((await audit.list({ limit: 3 })).map((r) => r.seq)).toEqual([20, 19, 18]);

    await db.run('UPDATE audit SET details = \'{"i":99}\' WHERE seq = 7');
    expect(await audit.verify()).toEqual({ ok: false, brokenAt: 7 });
    const original = await db.get<{ details: string }>('SELECT details FROM audit WHERE seq = 8');
    expect(original).toBeDefined();
    await db.run('UPDATE audit SET details = \'{"i":6}\' WHERE seq = 7');
    expect(await audit.verify()).toEqual({ ok: true, records: 20 });

    await db.run('DELETE FROM audit WHERE seq = 12');
    expect(await audit.verify()).toEqual({ ok: false, brokenAt: 13 });
    await db.close();
  });
});
