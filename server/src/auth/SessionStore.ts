import { createHash, randomBytes } from 'node:crypto';
import type { Database } from '../db/Database.ts';

export interface Session {
  /** The SHA-256 of the cookie's token: the token itself is never stored. */
  idHash: string;
  userId: string;
  createdAt: string;
  expiresAt: string;
}

interface SessionRow {
  id_hash: string;
  user_id: string;
  created_at: string;
  expires_at: string;
}

/** Hashes a session token for lookup. */
export const sessionHash = (token: string): string =>
  createHash('sha256').update(token).digest('hex');

/** Signed-in sessions, kept in SQLite so that a restart does not sign everyone out. */
export class SessionStore {
  readonly #db: Database;
  readonly #ttlMs: number;

  constructor(db: Database, ttlMs: number) {
    this.#db = db;
    this.#ttlMs = ttlMs;
  }

  /** Opens a session: the token goes to the cookie, only its hash is kept. */
  async create(userId: string): Promise<{ token: string; session: Session }> {
    const token = randomBytes(32).toString('base64url');
    const now = Date.now();
    const session = {
      idHash: sessionHash(token),
      userId,
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + this.#ttlMs).toISOString(),
    };
    await this.#db.run(
      'INSERT INTO sessions (id_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)',
      [session.idHash, userId, session.createdAt, session.expiresAt],
    );
    return { token, session };
  }

  /** The live session a token opens, or undefined (unknown or expired). */
  async find(token: string): Promise<Session | undefined> {
    if (token.length < 20 || token.length > 100) return undefined;
    const row = await this.#db.get<SessionRow>('SELECT * FROM sessions WHERE id_hash = ?', [
      sessionHash(token),
    ]);
    if (!row || Date.parse(row.expires_at) <= Date.now()) return undefined;
    return {
      idHash: row.id_hash,
      userId: row.user_id,
      createdAt: row.created_at,
      expiresAt: row.expires_at,
    };
  }

  async delete(idHash: string): Promise<void> {
    await this.#db.run('DELETE FROM sessions WHERE id_hash = ?', [idHash]);
  }

  async deleteForUser(userId: string): Promise<void> {
    await this.#db.run('DELETE FROM sessions WHERE user_id = ?', [userId]);
  }

  /** Deletes expired sessions; returns the hashes removed. */
  async sweep(): Promise<string[]> {
    const now = new Date().toISOString();
    const rows = await this.#db.all<{ id_hash: string }>(
      'SELECT id_hash FROM sessions WHERE expires_at <= ?',
      [now],
    );
    if (rows.length) await this.#db.run('DELETE FROM sessions WHERE expires_at <= ?', [now]);
    return rows.map((r) => r.id_hash);
  }
}
