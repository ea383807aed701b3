import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Listeners } from '../util/Listeners.ts';
import type {
  CreatedAudioHookIntegration,
  StreamIntegration,
  StreamKind,
  TwilioInbound,
} from '@earshot/shared';
import type { Database } from '../db/Database.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import type { SecretBox } from '../util/SecretBox.ts';

interface Row {
  id: string;
  kind: StreamKind;
  name: string;
  lookup: string;
  key_hint: string;
  secret_sealed: string;
  settings_json: string;
  created_at: string;
  created_by: string;
  last_error: string | null;
  last_error_at: string | null;
}

interface Settings {
  organizationId?: string;
  inbound?: TwilioInbound;
}

/** An integration as the ingest adapters use it: with its secret, in memory only. */
export interface Integration {
  id: string;
  kind: StreamKind;
  name: string;
  /** AudioHook: the client secret's bytes (the HMAC key). Twilio: the auth token. */
  secret: Uint8Array;
  /** Twilio: the account SID. */
  accountSid: string | null;
  /** What admins are shown of the key: the API key's start, or the account SID. */
  keyHint: string;
  organizationId: string | null;
  inbound: TwilioInbound;
  fromConfig: boolean;
  createdAt: string;
  createdBy: string;
  liveSessions: number;
  sessions: number;
  lastError: { at: string; message: string } | null;
}

const digest = (apiKey: string) => createHash('sha256').update(apiKey).digest('hex');
/** A last error is written to the database at most this often per integration. */
const ERROR_WRITE_MS = 10_000;

/**
 * The integrations that stream calls in (AudioHook, Twilio), kept by admins in the
 * console, plus the one each of EARSHOT_AUDIOHOOK_* / EARSHOT_TWILIO_* configures. An
 * AudioHook API key is stored as its SHA-256 only; the secrets needed to check signatures
 * (client secret, auth token) are stored sealed (SecretBox), never logged.
 */
export class StreamIntegrations {
  readonly #db: Database;
  readonly #box: SecretBox;
  /** By lookup: the API key's digest (AudioHook) or the account SID (Twilio). */
  readonly #byLookup = new Map<string, Integration>();
  readonly #errorWrittenAt = new Map<string, number>();
  /** Runs after this node adds or removes an integration. */
  readonly changed = new Listeners();

  constructor(db: Database, box: SecretBox) {
    this.#db = db;
    this.#box = box;
  }

  /** Loads the stored integrations and adds the configured ones. */
  async load(configured: {
    audiohook?: { apiKey: string; clientSecret: string };
    twilio?: { accountSid: string; authToken: string };
  }): Promise<void> {
    await this.refresh();
    const now = new Date().toISOString();
    const fromConfig = { fromConfig: true, createdAt: now, createdBy: 'configuration' };
    if (configured.audiohook)
      this.#byLookup.set(digest(configured.audiohook.apiKey), {
        ...blank(),
        ...fromConfig,
        id: 'audiohook-configured',
        kind: 'audiohook',
        name: 'EARSHOT_AUDIOHOOK_API_KEY',
        secret: Buffer.from(configured.audiohook.clientSecret, 'base64'),
        keyHint: configured.audiohook.apiKey.slice(0, 6),
      });
    if (configured.twilio)
      this.#byLookup.set(configured.twilio.accountSid, {
        ...blank(),
        ...fromConfig,
        id: 'twilio-configured',
        kind: 'twilio',
        name: 'EARSHOT_TWILIO_ACCOUNT_SID',
        secret: Buffer.from(configured.twilio.authToken),
        accountSid: configured.twilio.accountSid,
        keyHint: configured.twilio.accountSid,
      });
  }

  /**
   * Reads the stored integrations again (another node added or removed one): new ones are
   * taken, removed ones dropped; those known keep their counters.
   */
  async refresh(): Promise<void> {
    const rows = await this.#db.all<Row>('SELECT * FROM stream_integrations');
    const stored = new Set(rows.map((r) => r.lookup));
    for (const [lookup, integration] of this.#byLookup)
      if (!integration.fromConfig && !stored.has(lookup)) this.#byLookup.delete(lookup);
    for (const row of rows) {
      if (this.#byLookup.get(row.lookup)?.id === row.id) continue;
      const settings = JSON.parse(row.settings_json) as Settings;
      const secret = this.#box.open(row.secret_sealed);
      this.#byLookup.set(row.lookup, {
        id: row.id,
        kind: row.kind,
        name: row.name,
        secret: row.kind === 'audiohook' ? Buffer.from(secret, 'base64') : Buffer.from(secret),
        accountSid: row.kind === 'twilio' ? row.lookup : null,
        keyHint: row.key_hint,
        organizationId: settings.organizationId ?? null,
        inbound: settings.inbound ?? 'customer',
        fromConfig: false,
        createdAt: row.created_at,
        createdBy: row.created_by,
        liveSessions: 0,
        sessions: 0,
        lastError:
          row.last_error && row.last_error_at
            ? { at: row.last_error_at, message: row.last_error }
            : null,
      });
    }
  }

  /** The AudioHook integration whose API key this is. */
  audiohook(apiKey: string): Integration | undefined {
    const found = this.#byLookup.get(digest(apiKey));
    return found?.kind === 'audiohook' ? found : undefined;
  }

  /** Every Twilio account (a stream's upgrade names none: its signature says which). */
  twilioAccounts(): Integration[] {
    return [...this.#byLookup.values()].filter((i) => i.kind === 'twilio');
  }

  list(): StreamIntegration[] {
    return [...this.#byLookup.entries()]
      .map(([, i]) => view(i))
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  async createAudioHook(
    input: { name: string; organizationId?: string },
    createdBy: string,
  ): Promise<CreatedAudioHookIntegration> {
    const apiKey = `eah_${randomBytes(24).toString('base64url')}`;
    const clientSecret = randomBytes(32).toString('base64');
    const integration = await this.#insert({
      kind: 'audiohook',
      name: input.name,
      lookup: digest(apiKey),
      keyHint: apiKey.slice(0, 10),
      secret: clientSecret,
      settings: input.organizationId ? { organizationId: input.organizationId.toLowerCase() } : {},
      createdBy,
    });
    return { ...view(integration), apiKey, clientSecret };
  }

  async createTwilio(
    input: { name: string; accountSid: string; authToken: string; inbound: TwilioInbound },
    createdBy: string,
  ): Promise<StreamIntegration> {
    if (this.#byLookup.has(input.accountSid))
      throw new ConflictError(`Twilio account ${input.accountSid} is registered already`);
    const integration = await this.#insert({
      kind: 'twilio',
      name: input.name,
      lookup: input.accountSid,
      keyHint: input.accountSid,
      secret: input.authToken,
      settings: { inbound: input.inbound },
      createdBy,
    });
    return view(integration);
  }

  async #insert(input: {
    kind: StreamKind;
    name: string;
    lookup: string;
    keyHint: string;
    secret: string;
    settings: Settings;
    createdBy: string;
  }): Promise<Integration> {
    const id = randomUUID();
    const createdAt = new Date().toISOString();
    await this.#db.run(
      `INSERT INTO stream_integrations (id, kind, name, lookup, key_hint, secret_sealed, settings_json, created_at, created_by)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        id,
        input.kind,
        input.name,
        input.lookup,
        input.keyHint,
        this.#box.seal(input.secret),
        JSON.stringify(input.settings),
        createdAt,
        input.createdBy,
      ],
    );
    const integration: Integration = {
      ...blank(),
      id,
      kind: input.kind,
      name: input.name,
      secret:
        input.kind === 'audiohook'
          ? Buffer.from(input.secret, 'base64')
          : Buffer.from(input.secret),
      accountSid: input.kind === 'twilio' ? input.lookup : null,
      keyHint: input.keyHint,
      organizationId: input.settings.organizationId ?? null,
      inbound: input.settings.inbound ?? 'customer',
      createdAt,
      createdBy: input.createdBy,
    };
    this.#byLookup.set(input.lookup, integration);
    this.changed.fire();
    return integration;
  }

  /** Removes a stored integration: its next upgrade is refused (live sessions go on). */
  async remove(id: string): Promise<StreamIntegration> {
    const entry = [...this.#byLookup.entries()].find(([, i]) => i.id === id);
    if (!entry) throw new NotFoundError(`no stream integration with id "${id.slice(0, 64)}"`);
    const [lookup, integration] = entry;
    if (integration.fromConfig)
      throw new ConflictError('this integration comes from the configuration; change it there');
    await this.#db.run('DELETE FROM stream_integrations WHERE id = ?', [id]);
    this.#byLookup.delete(lookup);
    this.changed.fire();
    return view(integration);
  }

  /** Remembers an integration's latest error (shown to admins), stored at most every 10 s. */
  noteError(integration: Integration, message: string): void {
    const at = new Date().toISOString();
    integration.lastError = { at, message: message.slice(0, 300) };
    if (integration.fromConfig) return;
    const now = Date.now();
    if (now - (this.#errorWrittenAt.get(integration.id) ?? 0) < ERROR_WRITE_MS) return;
    this.#errorWrittenAt.set(integration.id, now);
    void this.#db
      .run('UPDATE stream_integrations SET last_error = ?, last_error_at = ? WHERE id = ?', [
        integration.lastError.message,
        at,
        integration.id,
      ])
      .catch(() => undefined);
  }
}

const blank = (): Omit<Integration, 'id' | 'kind' | 'name' | 'secret' | 'keyHint'> => ({
  accountSid: null,
  organizationId: null,
  inbound: 'customer',
  fromConfig: false,
  createdAt: new Date().toISOString(),
  createdBy: '',
  liveSessions: 0,
  sessions: 0,
  lastError: null,
});

function view(i: Integration): StreamIntegration {
  return {
    id: i.id,
    kind: i.kind,
    name: i.name,
    keyHint: i.keyHint,
    organizationId: i.organizationId,
    inbound: i.kind === 'twilio' ? i.inbound : null,
    fromConfig: i.fromConfig,
    createdAt: i.createdAt,
    createdBy: i.createdBy,
    liveSessions: i.liveSessions,
    sessions: i.sessions,
    lastError: i.lastError,
  };
}
