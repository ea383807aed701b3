import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { CreatedIngestToken, IngestToken } from '@earshot/shared';
import type { Database } from '../db/Database.ts';
import { NotFoundError } from '../errors.ts';

interface TokenRow {
  id: string;
  name: string;
  prefix: string;
  created_at: string;
  created_by: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

const digest = (token: string) => createHash('sha256').update(token).digest('hex');

const fromRow = (r: TokenRow): IngestToken => ({
  id: r.id,
  name: r.name,
  prefix: r.prefix,
  createdAt: r.created_at,
  createdBy: r.created_by,
  lastUsedAt: r.last_used_at,
  revokedAt: r.revoked_at,
});

/**
 * Credentials for telephony integrations. A token is 256 random bits shown once at
 * creation; only its SHA-256 is stored (a fast hash suffices for a secret that long).
 */
export class IngestTokenStore {
  readonly #db: Database;
  /** The configured token (EARSHOT_INGEST_TOKEN), kept only as its digest. */
  readonly #configured: string | undefined;
  readonly #lastUseWritten = new Map<string, number>();

  constructor(db: Database, configuredToken: string | undefined) {
    this.#db = db;
    this.#configured = configuredToken === undefined ? undefined : digest(configuredToken);
  }

  async create(name: string, createdBy: string): Promise<CreatedIngestToken> {
    const token = `esk_${randomBytes(32).toString('base64url')}`;
    const row: TokenRow = {
      id: randomUUID(),
      name,
      prefix: token.slice(0, 10),
      created_at: new Date().toISOString(),
      created_by: createdBy,
      last_used_at: null,
      revoked_at: null,
    };
    await this.#db.run(
      `INSERT INTO ingest_tokens (id, name, prefix, token_hash, created_at, created_by)
       VALUES (?, ?, ?, ?, ?, ?)`,
      [row.id, row.name, row.prefix, digest(token), row.created_at, row.created_by],
    );
    return { ...fromRow(row), token };
  }

  async list(): Promise<IngestToken[]> {
    return (
      await this.#db.all<TokenRow>(
        'SELECT id, name, prefix, created_at, created_by, last_used_at, revoked_at FROM ingest_tokens ORDER BY created_at DESC',
      )
    ).map(fromRow);
  }

  /** Revokes a token at once; the integration using it is refused from its next request. */
  async revoke(id: string): Promise<IngestToken> {
    const row = await this.#db.get<TokenRow>('SELECT * FROM ingest_tokens WHERE id = ?', [id]);
    if (!row) throw new NotFoundError(`no ingest token with id "${id.slice(0, 64)}"`);
    if (!row.revoked_at) {
      row.revoked_at = new Date().toISOString();
      await this.#db.run('UPDATE ingest_tokens SET revoked_at = ? WHERE id = ?', [
        row.revoked_at,
        id,
      ]);
    }
    return fromRow(row);
  }

  /** Whether a presented token is valid (the configured one or a live stored one). */
  async verify(token: string): Promise<boolean> {
    if (token.length > 200) return false;
    const hash = digest(token);
    if (hash === this.#configured) return true;
    const row = await this.#db.get<{ id: string }>(
      'SELECT id FROM ingest_tokens WHERE token_hash = ? AND revoked_at IS NULL',
      [hash],
    );
    if (!row) return false;
    // Last use is written at most once a minute per token: ingest is thousands of requests.
    const now = Date.now();
    if (now - (this.#lastUseWritten.get(row.id) ?? 0) > 60_000) {
      this.#lastUseWritten.set(row.id, now);
      await this.#db.run('UPDATE ingest_tokens SET last_used_at = ? WHERE id = ?', [
        new Date(now).toISOString(),
        row.id,
      ]);
    }
    return true;
  }
}
