import { describe, expect, it } from 'vitest';
import { SqliteDatabase } from './SqliteDatabase.ts';

describe('SQLite statements kept prepared', () => {
  it('answer as if prepared anew: fresh rows each time, past the cache and back', async () => {
    const db = SqliteDatabase.open(':memory:');
    try {
      await db.run('CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)');
      const read = () => db.get<{ v: string }>('SELECT v FROM t WHERE k = ?', [1]);
      await db.run('INSERT INTO t (k, v) VALUES (?, ?)', [1, 'first']);
      expect(await read()).toEqual({ v: 'first' });
      await db.run('UPDATE t SET v = ? WHERE k = ?', ['second', 1]);
      expect(await read()).toEqual({ v: 'second' });
      // More distinct statements than are kept: the oldest are let go, and prepared again.
      for (let n = 0; n < 300; n++)
        expect(await db.get<{ n: number }>(`SELECT ? + ${n} AS n`, [1])).toEqual({ n: n + 1 });
      expect(await read()).toEqual({ v: 'second' });
      expect(await db.get<{ n: number }>('SELECT ? + 0 AS n', [5])).toEqual({ n: 5 });
      // A failed statement leaves the kept one usable.
      await expect(db.run('INSERT INTO t (k, v) VALUES (?, ?)', [1, 'again'])).rejects.toThrow();
      await db.run('INSERT INTO t (k, v) VALUES (?, ?)', [2, 'other']);
      expect(await db.all('SELECT k FROM t ORDER BY k')).toEqual([{ k: 1 }, { k: 2 }]);
    } finally {
      await db.close();
    }
  });
});
