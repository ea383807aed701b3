import { randomUUID } from 'node:crypto';
import {
  FormDefinition,
  type Form,
  type FormStatus,
  type FormSummary,
  type FormVersion,
  type SaveFormRequest,
} from '@earshot/shared';
import type { AuditEntry } from '../audit/AuditLog.ts';
import type { Database } from '../db/Database.ts';
import { ConflictError, NotFoundError } from '../errors.ts';

interface FormRow {
  id: string;
  name: string;
  description: string | null;
  status: FormStatus;
  draft_json: string;
  version: number;
  created_by: string;
  created_at: string;
  updated_at: string;
}

interface VersionRow {
  form_id: string;
  version: number;
  name: string;
  definition_json: string;
  published_at: string;
  published_by: string;
}

type Actor = AuditEntry['actor'];

/** A stored definition as the schema writes it (defaults filled, keys in its order). */
const normalised = (json: string) => JSON.stringify(FormDefinition.parse(JSON.parse(json)));

/**
 * Evaluation forms: a draft a QA lead edits, and the versions publishing froze. An
 * evaluation keeps the version it was scored with; a retired form takes no new ones.
 */
export class FormService {
  readonly #db: Database;
  readonly #record: (entry: AuditEntry) => void;
  /** Frozen versions never change: read once. */
  readonly #versions = new Map<string, FormVersion>();

  constructor(db: Database, record: (entry: AuditEntry) => void) {
    this.#db = db;
    this.#record = record;
  }

  async #row(id: string): Promise<FormRow> {
    const row = await this.#db.get<FormRow>('SELECT * FROM qa_forms WHERE id = ?', [id]);
    if (!row) throw new NotFoundError(`no form with id "${id.slice(0, 64)}"`);
    return row;
  }

  async #summary(row: FormRow): Promise<FormSummary> {
    const latest = row.version ? await this.version(row.id, row.version) : undefined;
    return {
      id: row.id,
      name: row.name,
      description: row.description,
      status: row.status,
      version: row.version,
      changed:
        !latest ||
        JSON.stringify(latest.definition) !== normalised(row.draft_json) ||
        latest.name !== row.name,
      updatedAt: row.updated_at,
      createdBy: row.created_by,
    };
  }

  async list(): Promise<FormSummary[]> {
    const rows = await this.#db.all<FormRow>('SELECT * FROM qa_forms ORDER BY name, id');
    return Promise.all(rows.map((r) => this.#summary(r)));
  }

  async get(id: string): Promise<Form> {
    const row = await this.#row(id);
    const versions = await this.#db.all<VersionRow>(
      'SELECT * FROM qa_form_versions WHERE form_id = ? ORDER BY version',
      [id],
    );
    return {
      ...(await this.#summary(row)),
      draft: FormDefinition.parse(JSON.parse(row.draft_json)),
      versions: versions.map((v) => ({
        version: v.version,
        publishedAt: v.published_at,
        publishedBy: v.published_by,
      })),
    };
  }

  async create(request: SaveFormRequest, by: Actor): Promise<Form> {
    const id = randomUUID();
    const now = new Date().toISOString();
    await this.#db.run(
      'INSERT INTO qa_forms (id, name, description, status, draft_json, version, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?)',
      [
        id,
        request.name,
        request.description ?? null,
        'draft',
        JSON.stringify(FormDefinition.parse(request.definition)),
        by.name,
        now,
        now,
      ],
    );
    this.#record({
      actor: by,
      action: 'qa.form.create',
      target: id,
      details: { name: request.name },
    });
    return this.get(id);
  }

  async update(id: string, request: SaveFormRequest, by: Actor): Promise<Form> {
    const row = await this.#row(id);
    if (row.status === 'retired') throw new ConflictError(`the form "${row.name}" is retired`);
    await this.#db.run(
      'UPDATE qa_forms SET name = ?, description = ?, draft_json = ?, updated_at = ? WHERE id = ?',
      [
        request.name,
        request.description ?? null,
        JSON.stringify(FormDefinition.parse(request.definition)),
        new Date().toISOString(),
        id,
      ],
    );
    this.#record({
      actor: by,
      action: 'qa.form.update',
      target: id,
      details: { name: request.name },
    });
    return this.get(id);
  }

  /** Freezes the draft as the next version: evaluations from now on use it. */
  async publish(id: string, by: Actor): Promise<Form> {
    const version = await this.#db.transaction(async (db) => {
      await db.lock(`qa-form:${id}`);
      const row = await db.get<FormRow>('SELECT * FROM qa_forms WHERE id = ?', [id]);
      if (!row) throw new NotFoundError(`no form with id "${id.slice(0, 64)}"`);
      if (row.status === 'retired') throw new ConflictError(`the form "${row.name}" is retired`);
      if (!(await this.#summary(row)).changed)
        throw new ConflictError(`nothing changed since version ${row.version}`);
      const next = row.version + 1;
      const now = new Date().toISOString();
      await db.run(
        'INSERT INTO qa_form_versions (form_id, version, name, definition_json, published_at, published_by) VALUES (?, ?, ?, ?, ?, ?)',
        [id, next, row.name, row.draft_json, now, by.name],
      );
      await db.run('UPDATE qa_forms SET version = ?, status = ?, updated_at = ? WHERE id = ?', [
        next,
        'published',
        now,
        id,
      ]);
      return next;
    });
    this.#record({ actor: by, action: 'qa.form.publish', target: id, details: { version } });
    return this.get(id);
  }

  async retire(id: string, by: Actor): Promise<Form> {
    const row = await this.#row(id);
    if (row.status === 'retired') return this.get(id);
    await this.#db.run('UPDATE qa_forms SET status = ?, updated_at = ? WHERE id = ?', [
      'retired',
      new Date().toISOString(),
      id,
    ]);
    this.#record({ actor: by, action: 'qa.form.retire', target: id, details: { name: row.name } });
    return this.get(id);
  }

  async version(formId: string, version: number): Promise<FormVersion> {
    const key = `${formId}@${version}`;
    const known = this.#versions.get(key);
    if (known) return known;
    const row = await this.#db.get<VersionRow>(
      'SELECT * FROM qa_form_versions WHERE form_id = ? AND version = ?',
      [formId, version],
    );
    if (!row) throw new NotFoundError(`the form has no version ${version}`);
    const frozen: FormVersion = {
      formId,
      name: row.name,
      version,
      definition: FormDefinition.parse(JSON.parse(row.definition_json)),
      publishedAt: row.published_at,
    };
    if (this.#versions.size > 500) this.#versions.clear();
    this.#versions.set(key, frozen);
    return frozen;
  }

  /** The version a new evaluation is scored with: the latest published, of a live form. */
  async current(formId: string): Promise<FormVersion> {
    const row = await this.#row(formId);
    if (row.status === 'retired') throw new ConflictError(`the form "${row.name}" is retired`);
    if (row.version === 0) throw new ConflictError(`the form "${row.name}" is not published yet`);
    return this.version(formId, row.version);
  }
}
