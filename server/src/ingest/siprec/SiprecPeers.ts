import { randomUUID } from 'node:crypto';
import { Listeners } from '../../util/Listeners.ts';
import { BlockList, isIP } from 'node:net';
import type { SiprecPeer } from '@earshot/shared';
import type { Database } from '../../db/Database.ts';
import { ConflictError, NotFoundError } from '../../errors.ts';

interface PeerRow {
  id: string;
  cidr: string;
  label: string;
  created_at: string;
  created_by: string;
}

/** `10.0.0.0/8` → its network and prefix, or an address alone (a /32 or /128). */
export function parseCidr(
  value: string,
): { address: string; prefix: number; family: 4 | 6 } | undefined {
  const [address = '', prefixText, extra] = value.trim().split('/');
  if (extra !== undefined) return undefined;
  const family = isIP(address);
  if (family === 0) return undefined;
  const max = family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!/^\d{1,3}$/.test(prefixText ?? String(max)) || prefix > max) return undefined;
  return { address, prefix, family: family as 4 | 6 };
}

/**
 * The addresses allowed to send SIPREC requests: a list admins keep in the console, seeded
 * from EARSHOT_SIPREC_PEERS. Anything from elsewhere is refused before it is read further.
 */
export class SiprecPeers {
  readonly #db: Database;
  #rows: PeerRow[] = [];
  #list = new BlockList();
  /** Runs after this node adds or removes a peer. */
  readonly changed = new Listeners();

  constructor(db: Database) {
    this.#db = db;
  }

  /** Loads the list, adding the configured ones that are not in it yet. */
  async load(seeds: string[]): Promise<void> {
    await this.#reload();
    for (const cidr of seeds) {
      if (this.#rows.some((r) => r.cidr === normalise(cidr))) continue;
      await this.#insert(cidr, 'from EARSHOT_SIPREC_PEERS', 'EARSHOT_SIPREC_PEERS');
    }
    await this.#reload();
  }

  /** Reads the list again (another node changed it). */
  refresh(): Promise<void> {
    return this.#reload();
  }

  async #reload(): Promise<void> {
    this.#rows = await this.#db.all<PeerRow>(
      'SELECT * FROM siprec_peers ORDER BY created_at, cidr',
    );
    const list = new BlockList();
    for (const row of this.#rows) {
      const c = parseCidr(row.cidr);
      if (!c) continue;
      list.addSubnet(c.address, c.prefix, c.family === 4 ? 'ipv4' : 'ipv6');
    }
    this.#list = list;
  }

  async #insert(cidr: string, label: string, by: string): Promise<SiprecPeer> {
    const row: PeerRow = {
      id: randomUUID(),
      cidr: normalise(cidr),
      label,
      created_at: new Date().toISOString(),
      created_by: by,
    };
    await this.#db.run(
      'INSERT INTO siprec_peers (id, cidr, label, created_at, created_by) VALUES (?, ?, ?, ?, ?)',
      [row.id, row.cidr, row.label, row.created_at, row.created_by],
    );
    return toPeer(row);
  }

  /** Whether `address` (as a socket reports it) may send SIPREC requests. */
  allows(address: string): boolean {
    const plain = address.replace(/^::ffff:(?=\d+\.)/, '');
    const family = isIP(plain);
    if (family === 0) return false;
    return this.#list.check(plain, family === 4 ? 'ipv4' : 'ipv6');
  }

  list(): SiprecPeer[] {
    return this.#rows.map(toPeer);
  }

  async add(cidr: string, label: string, by: string): Promise<SiprecPeer> {
    if (this.#rows.some((r) => r.cidr === normalise(cidr)))
      throw new ConflictError(`${normalise(cidr)} is allowed already`);
    const peer = await this.#insert(cidr, label, by);
    await this.#reload();
    this.changed.fire();
    return peer;
  }

  async remove(id: string): Promise<SiprecPeer> {
    const row = this.#rows.find((r) => r.id === id);
    if (!row) throw new NotFoundError(`no SIPREC peer with id "${id}"`);
    await this.#db.run('DELETE FROM siprec_peers WHERE id = ?', [id]);
    await this.#reload();
    this.changed.fire();
    return toPeer(row);
  }
}

function normalise(cidr: string): string {
  const c = parseCidr(cidr);
  if (!c) return cidr.trim();
  const max = c.family === 4 ? 32 : 128;
  return c.prefix === max ? c.address : `${c.address}/${c.prefix}`;
}

function toPeer(row: PeerRow): SiprecPeer {
  return {
    id: row.id,
    cidr: row.cidr,
    label: row.label,
    createdAt: row.created_at,
    createdBy: row.created_by,
  };
}
