import type { Label, Tag, TagLeg, TagQuery } from '@earshot/shared';
import { reachSql, type Reach } from '../auth/Access.ts';
import type { Database, SqlValue } from '../db/Database.ts';

interface TagRow {
  id: string;
  call_id: string;
  offset_ms: number;
  end_ms: number | null;
  label: string;
  note: string | null;
  leg: TagLeg;
  author_id: string;
  author_name: string;
  created_at: string;
  updated_at: string;
  reviewed_at: string | null;
  reviewed_by: string | null;
  coached_at: string | null;
  coached_by: string | null;
}

const fromRow = (r: TagRow): Tag => ({
  id: r.id,
  callId: r.call_id,
  offsetMs: r.offset_ms,
  endMs: r.end_ms,
  label: r.label,
  note: r.note,
  leg: r.leg,
  author: { id: r.author_id, name: r.author_name },
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  reviewedAt: r.reviewed_at,
  reviewedBy: r.reviewed_by,
  coachedAt: r.coached_at,
  coachedBy: r.coached_by,
});

/** Tags and team-defined labels. */
export class TagRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  async insert(tag: Tag): Promise<void> {
    await this.#db.run(
      `INSERT INTO tags (id, call_id, offset_ms, end_ms, label, note, leg, author_id, author_name,
         created_at, updated_at, reviewed_at, reviewed_by, coached_at, coached_by)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        tag.id,
        tag.callId,
        tag.offsetMs,
        tag.endMs,
        tag.label,
        tag.note,
        tag.leg,
        tag.author.id,
        tag.author.name,
        tag.createdAt,
        tag.updatedAt,
        tag.reviewedAt,
        tag.reviewedBy,
        tag.coachedAt,
        tag.coachedBy,
      ],
    );
  }

  async update(tag: Tag): Promise<void> {
    await this.#db.run(
      `UPDATE tags SET offset_ms = ?, end_ms = ?, label = ?, note = ?, leg = ?, updated_at = ?,
         reviewed_at = ?, reviewed_by = ?, coached_at = ?, coached_by = ? WHERE id = ?`,
      [
        tag.offsetMs,
        tag.endMs,
        tag.label,
        tag.note,
        tag.leg,
        tag.updatedAt,
        tag.reviewedAt,
        tag.reviewedBy,
        tag.coachedAt,
        tag.coachedBy,
        tag.id,
      ],
    );
  }

  async delete(id: string): Promise<void> {
    await this.#db.run('DELETE FROM tags WHERE id = ?', [id]);
  }

  async find(id: string): Promise<Tag | undefined> {
    const row = await this.#db.get<TagRow>('SELECT * FROM tags WHERE id = ?', [id]);
    return row ? fromRow(row) : undefined;
  }

  async forCall(callId: string): Promise<Tag[]> {
    return (
      await this.#db.all<TagRow>('SELECT * FROM tags WHERE call_id = ? ORDER BY offset_ms', [
        callId,
      ])
    ).map(fromRow);
  }

  /** Tags matching a query, newest first, with the call's team and agent. */
  async search(
    query: TagQuery,
    reach: Reach,
    limit = 500,
  ): Promise<(Tag & { team: string; agent: { id: string; name: string } })[]> {
    const where: string[] = [];
    const params: SqlValue[] = [];
    const add = (clause: string, ...values: SqlValue[]) => {
      where.push(clause);
      params.push(...values);
    };
    const scope = reachSql(reach, 'c.team_id', 'c.center_id');
    add(scope.sql, ...scope.params);
    if (query.label) add('t.label = ?', query.label);
    if (query.team) add('c.team_id = ?', query.team);
    if (query.agent) add('c.agent_id = ?', query.agent);
    if (query.from) add('t.created_at >= ?', new Date(query.from).toISOString());
    if (query.to) add('t.created_at <= ?', new Date(query.to).toISOString());
    if (query.coached)
      add(query.coached === 'true' ? 't.coached_at IS NOT NULL' : 't.coached_at IS NULL');
    const rows = await this.#db.all<
      TagRow & { team_id: string; agent_id: string; agent_name: string }
    >(
      `SELECT t.*, c.team_id, c.agent_id, c.agent_name FROM tags t JOIN calls c ON c.id = t.call_id
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY t.created_at DESC LIMIT ?`,
      [...params, limit],
    );
    return rows.map((r) => ({
      ...fromRow(r),
      team: r.team_id,
      agent: { id: r.agent_id, name: r.agent_name },
    }));
  }

  async labels(): Promise<Label[]> {
    const rows = await this.#db.all<{ name: string; team_id: string | null }>(
      'SELECT name, team_id FROM labels ORDER BY name',
    );
    return rows.map((r) => ({ name: r.name, team: r.team_id }));
  }

  async addLabel(label: Label): Promise<boolean> {
    const { changes } = await this.#db.run(
      'INSERT INTO labels (name, team_id, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING',
      [label.name, label.team, new Date().toISOString()],
    );
    return changes === 1;
  }
}
