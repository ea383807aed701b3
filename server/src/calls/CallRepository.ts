import {
  EMPTY_CALL_AUDIO,
  type Call,
  type CallState,
  type EndReason,
  type LegStats,
  type Participant,
} from '@earshot/shared';
import type { Database } from '../db/Database.ts';

interface CallRow {
  id: string;
  external_id: string | null;
  center_id: string;
  region_id: string;
  team_id: string;
  agent_id: string;
  agent_name: string;
  customer_number: string | null;
  customer_name: string | null;
  codec: Call['codec'];
  payload_type: number;
  state: CallState;
  started_at: string;
  ended_at: string | null;
  end_reason: EndReason | null;
  legs_json: string | null;
  audio_json: string | null;
  acd_json: string | null;
  discrepancies: number | null;
  episodes_json: string | null;
  participants_json: string | null;
  unmatched: number;
}

const emptyLeg = (): LegStats => ({
  ip: '',
  port: 0,
  packets: 0,
  bytes: 0,
  dropped: 0,
  lost: 0,
  level: 0,
  lastPacketAt: null,
});

function fromRow(row: CallRow): Call {
  const legs = row.legs_json
    ? (JSON.parse(row.legs_json) as Call['legs'])
    : { agent: emptyLeg(), customer: emptyLeg() };
  return {
    id: row.id,
    externalId: row.external_id,
    center: row.center_id,
    region: row.region_id,
    team: row.team_id,
    agent: { id: row.agent_id, name: row.agent_name },
    customer: { number: row.customer_number, name: row.customer_name },
    codec: row.codec,
    payloadType: row.payload_type,
    state: row.state,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    endReason: row.end_reason,
    legs,
    // Stored calls are over: nobody listens to them, nothing is flagged now.
    listeners: 0,
    audio: row.audio_json ? (JSON.parse(row.audio_json) as Call['audio']) : EMPTY_CALL_AUDIO,
    flags: [],
    discrepancies: row.discrepancies ?? 0,
    episodes: row.episodes_json ? (JSON.parse(row.episodes_json) as Call['episodes']) : [],
    acd: row.acd_json
      ? (JSON.parse(row.acd_json) as Call['acd'])
      : { queue: null, holds: 0, disposition: null },
    participants: row.participants_json ? (JSON.parse(row.participants_json) as Participant[]) : [],
    unmatched: row.unmatched === 1,
  };
}

/** Calls and their metadata, live and ended. */
export class CallRepository {
  readonly #db: Database;
  /** The node whose calls these are (calls of other nodes sharing the database are theirs). */
  readonly #node: string;

  constructor(db: Database, node = '') {
    this.#db = db;
    this.#node = node;
  }

  async insert(call: Call): Promise<void> {
    await this.#db.run(
      `INSERT INTO calls (id, external_id, center_id, region_id, team_id, agent_id, agent_name,
         customer_number, customer_name, codec, payload_type, state, started_at, ended_at, end_reason, legs_json,
         participants_json, unmatched, node_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        call.id,
        call.externalId,
        call.center,
        call.region,
        call.team,
        call.agent.id,
        call.agent.name,
        call.customer.number,
        call.customer.name,
        call.codec,
        call.payloadType,
        call.state,
        call.startedAt,
        call.endedAt,
        call.endReason,
        JSON.stringify(call.legs),
        JSON.stringify(call.participants),
        call.unmatched ? 1 : 0,
        this.#node,
      ],
    );
  }

  /** Records a call's agent, team and parties after a transfer or an assignment. */
  async updatePlace(call: Call): Promise<void> {
    await this.#db.run(
      `UPDATE calls SET center_id = ?, region_id = ?, team_id = ?, agent_id = ?, agent_name = ?,
         participants_json = ?, unmatched = ? WHERE id = ?`,
      [
        call.center,
        call.region,
        call.team,
        call.agent.id,
        call.agent.name,
        JSON.stringify(call.participants),
        call.unmatched ? 1 : 0,
        call.id,
      ],
    );
  }

  /**
   * The leg ports of calls still live in the store or ended since `since` (ISO time): at
   * start-up, streams for them may still be arriving.
   */
  async portsInUseSince(since: string): Promise<number[]> {
    const rows = await this.#db.all<{ legs_json: string | null }>(
      "SELECT legs_json FROM calls WHERE (ended_at IS NULL OR ended_at >= ?) AND node_id IN (?, '')",
      [since, this.#node],
    );
    const ports: number[] = [];
    for (const row of rows) {
      if (!row.legs_json) continue;
      const legs = JSON.parse(row.legs_json) as Partial<Call['legs']>;
      for (const leg of [legs.agent, legs.customer]) if (leg?.port) ports.push(leg.port);
    }
    return ports;
  }

  /** Records the final state of a call. */
  async finish(call: Call): Promise<void> {
    await this.#db.run(
      'UPDATE calls SET state = ?, ended_at = ?, end_reason = ?, legs_json = ?, audio_json = ?, discrepancies = ?, episodes_json = ?, acd_json = ? WHERE id = ?',
      [
        call.state,
        call.endedAt,
        call.endReason,
        JSON.stringify(call.legs),
        JSON.stringify(call.audio),
        call.discrepancies,
        JSON.stringify(call.episodes),
        JSON.stringify(call.acd),
        call.id,
      ],
    );
  }

  async updateState(id: string, state: CallState): Promise<void> {
    await this.#db.run('UPDATE calls SET state = ? WHERE id = ?', [state, id]);
  }

  /** The node that tapped a call ('' for one of a run before nodes had names). */
  async nodeOf(id: string): Promise<string | undefined> {
    const row = await this.#db.get<{ node_id: string }>('SELECT node_id FROM calls WHERE id = ?', [
      id,
    ]);
    return row?.node_id || undefined;
  }

  async find(id: string): Promise<Call | undefined> {
    const row = await this.#db.get<CallRow>('SELECT * FROM calls WHERE id = ?', [id]);
    return row ? fromRow(row) : undefined;
  }

  /**
   * Calls left live by a process that stopped without ending them: they are over now.
   * Returns how many were closed.
   */
  async endOrphans(): Promise<number> {
    // NOTE: only this node's (and those of a run before nodes had names): another node's
    // live calls are its own.
    return this.endOfNode(this.#node, 'server-restart', true);
  }

  /**
   * Ends the calls a node left live (it restarted, or was lost). A call ended so ended when
   * its last media or event came, not now: the downtime is not call time.
   */
  async endOfNode(node: string, reason: EndReason, legacy = false): Promise<number> {
    const { changes } = await this.#db.run(
      `UPDATE calls SET state = 'ended', ended_at = COALESCE(last_activity_at, started_at), end_reason = ?
       WHERE ended_at IS NULL AND node_id IN (?, ?)`,
      [reason, node, legacy ? '' : node],
    );
    return changes;
  }

  /**
   * Calls a node still taps, that another node ended as `node-lost` while it stalled: they
   * are live again.
   */
  async revive(calls: Call[]): Promise<number> {
    let revived = 0;
    for (const call of calls) {
      const { changes } = await this.#db.run(
        "UPDATE calls SET state = ?, ended_at = NULL, end_reason = NULL WHERE id = ? AND end_reason = 'node-lost'",
        [call.state, call.id],
      );
      revived += changes;
    }
    return revived;
  }

  /** Records when live calls last had media or events (what a crash would end them at). */
  async touch(activity: { id: string; at: string }[]): Promise<void> {
    if (activity.length === 0) return;
    await this.#db.transaction(async (db) => {
      for (const { id, at } of activity)
        await db.run('UPDATE calls SET last_activity_at = ? WHERE id = ? AND ended_at IS NULL', [
          at,
          id,
        ]);
    });
  }
}
