import { randomUUID } from 'node:crypto';
import type {
  Author,
  CallReview,
  Comment,
  CreateCommentRequest,
  ReviewItem,
  ReviewQuery,
} from '@earshot/shared';
import { reachSql, type Reach } from '../auth/Access.ts';
import type { CallService } from '../calls/CallService.ts';
import type { Database, SqlValue } from '../db/Database.ts';
import { NotFoundError, ValidationError } from '../errors.ts';

interface ReviewRow {
  id: string;
  center_id: string;
  region_id: string;
  team_id: string;
  agent_id: string;
  agent_name: string;
  started_at: string;
  ended_at: string;
  reviewed_at: string | null;
  reviewed_by: string | null;
  tag_count: number;
  last_tag_at: string | null;
}

/** QA review of recorded calls: the list to review, reviewed marks and comments. */
export class ReviewService {
  readonly #db: Database;
  readonly #calls: CallService;

  constructor(db: Database, calls: CallService) {
    this.#db = db;
    this.#calls = calls;
  }

  /** Ended calls matching `query`, the most recently flagged first, then the newest. */
  async list(query: ReviewQuery, reach: Reach, limit = 300): Promise<ReviewItem[]> {
    const where = ['c.ended_at IS NOT NULL'];
    const params: SqlValue[] = [];
    const add = (clause: string, ...values: SqlValue[]) => {
      where.push(clause);
      params.push(...values);
    };
    const scope = reachSql(reach, 'c.team_id', 'c.center_id');
    add(scope.sql, ...scope.params);
    if (query.from) add('c.started_at >= ?', new Date(query.from).toISOString());
    if (query.to) add('c.started_at <= ?', new Date(query.to).toISOString());
    if (query.center) add('c.center_id = ?', query.center);
    if (query.team) add('c.team_id = ?', query.team);
    if (query.agent) add('c.agent_id = ?', query.agent);
    if (query.label)
      // Labels as people write them: any case, spaces around.
      add(
        'EXISTS (SELECT 1 FROM tags l WHERE l.call_id = c.id AND lower(l.label) = ?)',
        query.label.trim().toLowerCase(),
      );
    if (query.reviewed)
      add(query.reviewed === 'true' ? 'c.reviewed_at IS NOT NULL' : 'c.reviewed_at IS NULL');
    const rows = await this.#db.all<ReviewRow>(
      `SELECT * FROM (SELECT c.id, c.center_id, c.region_id, c.team_id, c.agent_id, c.agent_name, c.started_at, c.ended_at,
              c.reviewed_at, c.reviewed_by,
              (SELECT COUNT(*) FROM tags t WHERE t.call_id = c.id) AS tag_count,
              (SELECT MAX(t.created_at) FROM tags t WHERE t.call_id = c.id) AS last_tag_at
       FROM calls c WHERE ${where.join(' AND ')}) r
       ORDER BY (r.last_tag_at IS NULL), r.last_tag_at DESC, r.started_at DESC LIMIT ?`,
      [...params, limit],
    );
    // NOTE: the labels in a second query: aggregating strings is written differently on
    // each engine, and a page holds at most `limit` calls.
    const labels = new Map<string, Set<string>>();
    if (rows.length)
      for (const t of await this.#db.all<{ call_id: string; label: string }>(
        `SELECT DISTINCT call_id, label FROM tags WHERE call_id IN (${rows.map(() => '?').join(', ')})`,
        rows.map((r) => r.id),
      ))
        labels.set(t.call_id, (labels.get(t.call_id) ?? new Set()).add(t.label));
    return rows.map((r) => ({
      callId: r.id,
      center: r.center_id,
      region: r.region_id,
      team: r.team_id,
      agent: { id: r.agent_id, name: r.agent_name },
      startedAt: r.started_at,
      endedAt: r.ended_at,
      tagCount: r.tag_count,
      labels: [...(labels.get(r.id) ?? [])].sort(),
      lastTagAt: r.last_tag_at,
      reviewedAt: r.reviewed_at,
      reviewedBy: r.reviewed_by,
    }));
  }

  async #ended(callId: string): Promise<void> {
    const call = await this.#calls.get(callId);
    if (!call.endedAt)
      throw new ValidationError('the call is still live', [
        { path: 'callId', message: 'review starts when the call ends' },
      ]);
  }

  async get(callId: string): Promise<CallReview> {
    await this.#calls.get(callId);
    const call = await this.#db.get<{ reviewed_at: string | null; reviewed_by: string | null }>(
      'SELECT reviewed_at, reviewed_by FROM calls WHERE id = ?',
      [callId],
    );
    if (!call) throw new NotFoundError(`no call with id "${callId}"`);
    const comments = await this.#db.all<{
      id: string;
      tag_id: string | null;
      author_id: string;
      author_name: string;
      body: string;
      created_at: string;
    }>('SELECT * FROM comments WHERE call_id = ? ORDER BY created_at', [callId]);
    return {
      reviewedAt: call.reviewed_at,
      reviewedBy: call.reviewed_by,
      comments: comments.map((c) => ({
        id: c.id,
        callId,
        tagId: c.tag_id,
        author: { id: c.author_id, name: c.author_name },
        body: c.body,
        createdAt: c.created_at,
      })),
    };
  }

  async setReviewed(callId: string, reviewed: boolean, by: Author): Promise<CallReview> {
    await this.#ended(callId);
    await this.#db.run('UPDATE calls SET reviewed_at = ?, reviewed_by = ? WHERE id = ?', [
      reviewed ? new Date().toISOString() : null,
      reviewed ? by.name : null,
      callId,
    ]);
    return this.get(callId);
  }

  async comment(callId: string, request: CreateCommentRequest, by: Author): Promise<Comment> {
    await this.#ended(callId);
    if (request.tagId) {
      const tag = await this.#db.get('SELECT id FROM tags WHERE id = ? AND call_id = ?', [
        request.tagId,
        callId,
      ]);
      if (!tag)
        throw new ValidationError('invalid comment', [
          { path: 'tagId', message: 'no such tag on this call' },
        ]);
    }
    const comment: Comment = {
      id: randomUUID(),
      callId,
      tagId: request.tagId ?? null,
      author: by,
      body: request.body,
      createdAt: new Date().toISOString(),
    };
    await this.#db.run(
      'INSERT INTO comments (id, call_id, tag_id, author_id, author_name, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [comment.id, callId, comment.tagId, by.id, by.name, comment.body, comment.createdAt],
    );
    return comment;
  }
}
