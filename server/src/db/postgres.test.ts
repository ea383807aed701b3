import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../audit/AuditLog.ts';
import { createRootLogger } from '../log/logger.ts';
import { eventually, startTestServer } from '../test/harness.ts';
import { databaseFor, startPostgres, type PrivatePostgres } from '../test/postgres.ts';
import { MIGRATIONS } from './migrations.ts';
import { PostgresDatabase, toPostgres } from './PostgresDatabase.ts';

// A cluster of this file's own (whichever engine the rest of the suite runs on).
let cluster: PrivatePostgres;
const logger = createRootLogger('silent');
const freshDatabase = () => databaseFor(mkdtempSync(join(tmpdir(), 'earshot-pgdb-')), cluster.url);

beforeAll(async () => {
  cluster = await startPostgres();
}, 60_000);
afterAll(() => cluster?.stop());

describe('PostgreSQL', () => {
  it('numbers placeholders outside string literals', () => {
    expect(toPostgres("SELECT a FROM t WHERE b = ? AND c = '?' AND d IN (?, ?)")).toBe(
      "SELECT a FROM t WHERE b = $1 AND c = '?' AND d IN ($2, $3)",
    );
  });

  it('three nodes starting at once on one database migrate it once', async () => {
    const url = await freshDatabase();
    const nodes = await Promise.all([1, 2, 3].map(() => PostgresDatabase.open(url, logger)));
    try {
      const applied = await nodes[0]!.all<{ version: number }>(
        'SELECT version FROM schema_migrations ORDER BY version',
      );
      expect(applied.map((r) => r.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    } finally {
      await Promise.all(nodes.map((db) => db.close()));
    }
  });

  it('the audit trail stays one verifiable chain with two nodes appending at once', async () => {
    const url = await freshDatabase();
    const [a, b] = await Promise.all([
      PostgresDatabase.open(url, logger),
      PostgresDatabase.open(url, logger),
    ]);
    try {
      const logs = [new AuditLog(a), new AuditLog(b)];
      await Promise.all(
        logs.flatMap((log, node) =>
          Array.from({ length: 150 }, (_, i) =>
            log.append({
              actor: { id: `node-${node}`, name: `Node ${node}` },
              action: 'tag.create',
              target: `t-${node}-${i}`,
            }),
          ),
        ),
      );
      expect(await logs[0]!.verify()).toEqual({ ok: true, records: 300 });
      expect(await logs[1]!.verify()).toEqual({ ok: true, records: 300 });
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('while PostgreSQL is down requests fail fast with 503 and a clear message, and recover by themselves', async () => {
    const server = await startTestServer({ EARSHOT_DATABASE_URL: await freshDatabase() });
    try {
      expect((await server.api('GET', '/api/v1/users', undefined, { as: 'admin' })).status).toBe(
        200,
      );
      await cluster.pause();
      const started = Date.now();
      const down = await server.api<{ error: { code: string; message: string } }>(
        'GET',
        '/api/v1/users',
        undefined,
        { as: 'admin' },
      );
      expect(Date.now() - started).toBeLessThan(3000);
      expect(down.status).toBe(503);
      expect(down.body.error).toMatchObject({
        code: 'unavailable',
        message: expect.stringMatching(/PostgreSQL/),
      });
      await cluster.resume();
      await eventually(
        async () =>
          (await server.api('GET', '/api/v1/users', undefined, { as: 'admin' })).status === 200
            ? true
            : undefined,
        15_000,
      );
    } finally {
      await cluster.resume().catch(() => undefined);
      await server.close();
    }
  });
});
