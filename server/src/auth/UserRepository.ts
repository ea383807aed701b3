import type { RoleGrant, User } from '@earshot/shared';
import type { Database } from '../db/Database.ts';

interface UserRow {
  id: string;
  username: string;
  name: string;
  password_hash: string;
  roles_json: string;
  demo: number;
  created_at: string;
  updated_at: string;
}

export interface StoredUser extends User {
  passwordHash: string;
}

const fromRow = (r: UserRow): StoredUser => ({
  id: r.id,
  username: r.username,
  name: r.name,
  roles: JSON.parse(r.roles_json) as RoleGrant[],
  demo: r.demo === 1,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  passwordHash: r.password_hash,
});

/** Users as stored: the password only as its scrypt hash. */
export class UserRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  async byId(id: string): Promise<StoredUser | undefined> {
    const row = await this.#db.get<UserRow>('SELECT * FROM users WHERE id = ?', [id]);
    return row && fromRow(row);
  }

  async byUsername(username: string): Promise<StoredUser | undefined> {
    const row = await this.#db.get<UserRow>('SELECT * FROM users WHERE username = ?', [username]);
    return row && fromRow(row);
  }

  async list(): Promise<StoredUser[]> {
    return (await this.#db.all<UserRow>('SELECT * FROM users ORDER BY username')).map(fromRow);
  }

  async insert(user: StoredUser): Promise<void> {
    await this.#db.run(
      `INSERT INTO users (id, username, name, password_hash, roles_json, demo, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        user.id,
        user.username,
        user.name,
        user.passwordHash,
        JSON.stringify(user.roles),
        user.demo ? 1 : 0,
        user.createdAt,
        user.updatedAt,
      ],
    );
  }

  async update(user: StoredUser): Promise<void> {
    await this.#db.run(
      'UPDATE users SET name = ?, password_hash = ?, roles_json = ?, demo = ?, updated_at = ? WHERE id = ?',
      [
        user.name,
        user.passwordHash,
        JSON.stringify(user.roles),
        user.demo ? 1 : 0,
        user.updatedAt,
        user.id,
      ],
    );
  }

  async delete(id: string): Promise<void> {
    await this.#db.run('DELETE FROM users WHERE id = ?', [id]);
  }
}
