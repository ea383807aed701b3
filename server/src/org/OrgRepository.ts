import type { Org } from '@earshot/shared';
import { Listeners } from '../util/Listeners.ts';
import type { Database } from '../db/Database.ts';
import { AgentAddresses } from './agentAddresses.ts';

interface TeamRow {
  id: string;
  name: string;
  center_id: string;
  specialty: number;
  hours_open: string | null;
  hours_close: string | null;
}

/** The organisation (regions, centers, teams, agents), declared as a whole. */
export class OrgRepository {
  readonly #db: Database;
  #cache: Org | undefined;
  /** Bumped by every replace: a read that began before one must not cache what it read. */
  #generation = 0;
  /** Runs after each replace made through this repository. */
  readonly replaced = new Listeners();
  #addresses: { org: Org; index: AgentAddresses } | undefined;

  constructor(db: Database) {
    this.#db = db;
  }

  /** The declared organisation (empty lists before any declaration). */
  async get(): Promise<Org> {
    if (this.#cache) return this.#cache;
    const generation = this.#generation;
    const [regions, centers, teams, agents] = await Promise.all([
      this.#db.all<{ id: string; name: string }>('SELECT id, name FROM org_regions ORDER BY id'),
      this.#db.all<{ id: string; name: string; region_id: string; time_zone: string }>(
        'SELECT id, name, region_id, time_zone FROM org_centers ORDER BY id',
      ),
      this.#db.all<TeamRow>(
        'SELECT id, name, center_id, specialty, hours_open, hours_close FROM org_teams ORDER BY id',
      ),
      this.#db.all<{ id: string; name: string; team_id: string; addresses_json: string | null }>(
        'SELECT id, name, team_id, addresses_json FROM org_agents ORDER BY id',
      ),
    ]);
    const org: Org = {
      regions,
      centers: centers.map((c) => ({
        id: c.id,
        name: c.name,
        regionId: c.region_id,
        timeZone: c.time_zone,
      })),
      teams: teams.map((t) => ({
        id: t.id,
        name: t.name,
        centerId: t.center_id,
        specialty: t.specialty === 1,
        hours:
          t.hours_open && t.hours_close
            ? { kind: 'daily' as const, open: t.hours_open, close: t.hours_close }
            : { kind: 'always' as const },
      })),
      agents: agents.map((a) => ({
        id: a.id,
        name: a.name,
        teamId: a.team_id,
        ...(a.addresses_json ? { addresses: JSON.parse(a.addresses_json) as string[] } : {}),
      })),
    };
    // NOTE: on a networked database a replace can land while this read is under way.
    if (generation === this.#generation) this.#cache = org;
    return org;
  }

  /** Agents by the addresses the telephony knows them by. */
  async addresses(): Promise<AgentAddresses> {
    const org = await this.get();
    if (this.#addresses?.org !== org) this.#addresses = { org, index: new AgentAddresses(org) };
    return this.#addresses.index;
  }

  /** Another node replaced the organisation: the next read fetches it again. */
  forget(): void {
    this.#generation += 1;
    this.#cache = undefined;
  }

  /** Replaces the whole organisation with `org` (already validated). */
  async replace(org: Org): Promise<void> {
    this.#generation += 1;
    this.#cache = undefined;
    await this.#db.transaction(async (db) => {
      for (const table of ['org_agents', 'org_teams', 'org_centers', 'org_regions'])
        await db.run(`DELETE FROM ${table}`);
      for (const r of org.regions)
        await db.run('INSERT INTO org_regions (id, name) VALUES (?, ?)', [r.id, r.name]);
      for (const c of org.centers) {
        await db.run(
          'INSERT INTO org_centers (id, name, region_id, time_zone) VALUES (?, ?, ?, ?)',
          [c.id, c.name, c.regionId, c.timeZone],
        );
      }
      for (const t of org.teams) {
        const daily = t.hours.kind === 'daily' ? t.hours : undefined;
        await db.run(
          'INSERT INTO org_teams (id, name, center_id, specialty, hours_open, hours_close) VALUES (?, ?, ?, ?, ?, ?)',
          [
            t.id,
            t.name,
            t.centerId,
            t.specialty ? 1 : 0,
            daily?.open ?? null,
            daily?.close ?? null,
          ],
        );
      }
      for (const a of org.agents) {
        await db.run(
          'INSERT INTO org_agents (id, name, team_id, addresses_json) VALUES (?, ?, ?, ?)',
          [a.id, a.name, a.teamId, a.addresses?.length ? JSON.stringify(a.addresses) : null],
        );
      }
    });
    this.#generation += 1;
    this.#cache = org;
    this.replaced.fire();
  }
}
