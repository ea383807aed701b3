import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  BUILTIN_LABELS,
  type Author,
  type CreateLabelRequest,
  type CreateTagRequest,
  type Label,
  type Tag,
  type TagQuery,
  type UpdateTagRequest,
} from '@earshot/shared';
import type { Reach } from '../auth/Access.ts';
import type { CallService } from '../calls/CallService.ts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../errors.ts';
import type { TagRepository } from './TagRepository.ts';

// NOTE: a tag made live may land a moment past what the server has timed of the call.
const LIVE_SLACK_MS = 2000;

/** Tags on calls: made live or afterwards, edited by their author, reviewed and coached by anyone. */
export class TagService extends EventEmitter<{
  created: [Tag, Author];
  updated: [Tag, Author];
  deleted: [Tag, Author];
}> {
  readonly #repo: TagRepository;
  readonly #calls: CallService;

  constructor(repo: TagRepository, calls: CallService) {
    super();
    this.#repo = repo;
    this.#calls = calls;
  }

  // NOTE: emitted on the next turn, so that the caller's ack goes out before the broadcast.
  #announce(event: 'created' | 'updated' | 'deleted', tag: Tag, by: Author): void {
    setImmediate(() => this.emit(event, tag, by));
  }

  async labels(): Promise<Label[]> {
    return [
      ...BUILTIN_LABELS.map((name) => ({ name, team: null })),
      ...(await this.#repo.labels()),
    ];
  }

  async addLabel(request: CreateLabelRequest): Promise<Label> {
    if ((BUILTIN_LABELS as readonly string[]).includes(request.name.toLowerCase())) {
      throw new ConflictError(`"${request.name}" is a built-in label`);
    }
    const label = { name: request.name, team: request.team ?? null };
    if (!(await this.#repo.addLabel(label)))
      throw new ConflictError(`the label "${request.name}" exists`);
    return label;
  }

  /** How long the call is (so far), in ms of call time. */
  async #callLength(callId: string): Promise<number> {
    const call = await this.#calls.get(callId);
    const end = call.endedAt ? Date.parse(call.endedAt) : Date.now() + LIVE_SLACK_MS;
    return end - Date.parse(call.startedAt);
  }

  async #check(
    callId: string,
    fields: { offsetMs: number; endMs: number | null; label: string },
  ): Promise<void> {
    const length = await this.#callLength(callId);
    const issues = [];
    if (fields.offsetMs > length)
      issues.push({
        path: 'offsetMs',
        message: `must be within the call (0-${Math.floor(length)} ms)`,
      });
    if (fields.endMs !== null && fields.endMs > length)
      issues.push({
        path: 'endMs',
        message: `must be within the call (0-${Math.floor(length)} ms)`,
      });
    if (fields.endMs !== null && fields.endMs <= fields.offsetMs)
      issues.push({ path: 'endMs', message: 'must be after offsetMs' });
    const labels = await this.labels();
    if (!labels.some((l) => l.name === fields.label)) {
      issues.push({
        path: 'label',
        message: `unknown label "${fields.label}" (known: ${labels.map((l) => l.name).join(', ')})`,
      });
    }
    if (issues.length) throw new ValidationError('invalid tag', issues);
  }

  /** Tags matching a query, newest first. */
  /** Tags matching `query` on calls within `reach`. */
  search(query: TagQuery, reach: Reach) {
    return this.#repo.search(query, reach);
  }

  async forCall(callId: string): Promise<Tag[]> {
    await this.#calls.get(callId);
    return this.#repo.forCall(callId);
  }

  async create(callId: string, request: CreateTagRequest, author: Author): Promise<Tag> {
    await this.#check(callId, {
      offsetMs: request.offsetMs,
      endMs: request.endMs ?? null,
      label: request.label,
    });
    const now = new Date().toISOString();
    const tag: Tag = {
      id: randomUUID(),
      callId,
      offsetMs: request.offsetMs,
      endMs: request.endMs ?? null,
      label: request.label,
      note: request.note?.trim() || null,
      leg: request.leg,
      author,
      createdAt: now,
      updatedAt: now,
      reviewedAt: null,
      reviewedBy: null,
      coachedAt: null,
      coachedBy: null,
    };
    await this.#repo.insert(tag);
    this.#announce('created', tag, author);
    return tag;
  }

  /** A tag, or 404. */
  async get(id: string): Promise<Tag> {
    const tag = await this.#repo.find(id);
    if (!tag) throw new NotFoundError(`no tag with id "${id}"`);
    return tag;
  }

  /** Changes a tag: its content only by its author; reviewed and coached by anyone. */
  async update(id: string, request: UpdateTagRequest, by: Author): Promise<Tag> {
    const tag = await this.get(id);
    const content = ['offsetMs', 'endMs', 'label', 'note', 'leg'].some((k) => k in request);
    if (content && tag.author.id !== by.id)
      throw new ForbiddenError('only the author can change a tag');
    const now = new Date().toISOString();
    const next: Tag = {
      ...tag,
      offsetMs: request.offsetMs ?? tag.offsetMs,
      endMs: request.endMs === undefined ? tag.endMs : request.endMs,
      label: request.label ?? tag.label,
      note: request.note === undefined ? tag.note : request.note?.trim() || null,
      leg: request.leg ?? tag.leg,
      updatedAt: now,
    };
    if (request.reviewed !== undefined) {
      next.reviewedAt = request.reviewed ? now : null;
      next.reviewedBy = request.reviewed ? by.name : null;
    }
    if (request.coached !== undefined) {
      next.coachedAt = request.coached ? now : null;
      next.coachedBy = request.coached ? by.name : null;
    }
    if (content) await this.#check(tag.callId, next);
    await this.#repo.update(next);
    this.#announce('updated', next, by);
    return next;
  }

  async delete(id: string, by: Author): Promise<Tag> {
    const tag = await this.get(id);
    if (tag.author.id !== by.id) throw new ForbiddenError('only the author can delete a tag');
    await this.#repo.delete(id);
    this.#announce('deleted', tag, by);
    return tag;
  }
}
