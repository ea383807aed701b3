import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  LEGS,
  type Call,
  type CallState,
  type CreateCallResponse,
  type EndReason,
  type LegName,
  type Participant,
} from '@earshot/shared';
import { ConflictError, NotFoundError, UnavailableError, ValidationError } from '../errors.ts';
import type { RtpSource } from '../ingest/LegIngest.ts';
import type { MediaPlane, RemoteLeg } from '../ingest/MediaPlane.ts';
import type { Logger } from '../log/logger.ts';
import { CallTap } from '../media/CallTap.ts';
import { conversationOf, type Conversation } from '../kpi/kpiMath.ts';
import { EndedConversations } from './EndedConversations.ts';
import type { WorkerPool } from '../media/WorkerPool.ts';
import type { OrgRepository } from '../org/OrgRepository.ts';
import type { RecordingStore } from '../recordings/RecordingStore.ts';
import { KeyedQueue } from '../util/KeyedQueue.ts';
import type { CallRepository } from './CallRepository.ts';
import { LiveCall, type CallInfo, type CallPlace } from './LiveCall.ts';

/** The other nodes' live calls, as the call service looks them up. */
export interface Elsewhere {
  list(): Call[];
  get(id: string): { node: string; call: Call } | undefined;
  idOfExternal(externalId: string): string | undefined;
}

/** What an ingest adapter asks for when it announces a call. */
export interface CallSpec extends CallInfo {
  /** The payload type mediasoup's producers use for both legs. */
  payloadType: number;
  /** Per leg: what its sender uses and where it sends from, as the signalling said. */
  legs?: Partial<Record<LegName, LegSpec>>;
}

export interface LegSpec {
  /** The payload type this leg's sender uses, where it is not the call's. */
  payloadType?: number;
  /** The agreed telephone-event payload type (absorbed, neither audio nor a drop). */
  eventPayloadType?: number;
  /** Only these sources are heard on the leg; none: the first sender latches. */
  sources?: RtpSource[];
  /** The adapter feeds the leg's audio itself (`feed`); its port hears nothing. */
  fed?: boolean;
}

/** A change an ingest adapter reports during a call (re-INVITE, metadata update). */
export interface CallChange {
  /** The telephony put the call on hold (true) or took it off (false). */
  held?: boolean;
  /** A new agent (a transfer), or null when nobody in the organisation matches any more. */
  place?: CallPlace | null;
  participants?: Participant[];
  /** More addresses a leg's media may come from (the SBC moved its media). */
  sources?: Partial<Record<LegName, RtpSource[]>>;
}

export interface CallServiceOptions {
  pool: WorkerPool;
  /** The media threads that receive the legs' RTP. */
  media: MediaPlane;
  org: OrgRepository;
  calls: CallRepository;
  recordings: RecordingStore;
  logger: Logger;
  ingestAnnouncedIp: string;
  mediasoupListenIp: string;
  /** mediasoup's port range (EARSHOT_RTC_*): its plain transports stay inside it too. */
  mediasoupPorts: { min: number; max: number };
  /** Live calls at most; past it a new call is refused (503). */
  maxCalls: number;
  idleTimeoutMs: number;
  /** How often levels are measured and idle calls looked for. */
  tickMs?: number;
}

/** Totals over calls that have ended, so counters survive their calls. */
interface EndedTotals {
  calls: Record<EndReason, number>;
  packets: number;
  bytes: number;
  dropped: number;
  lost: number;
}

const RETAP_ATTEMPTS = 10;
const round2 = (x: number) => Math.round(x * 100) / 100;
const RETAP_DELAY_MS = 300;
// NOTE: how often live calls' last activity is stored: a crash ends a call at most this
// much after its last media.
const TOUCH_MS = 2000;

const samePlace = (a: CallPlace | null, b: CallPlace | null) =>
  a === b || (a !== null && b !== null && a.agent.id === b.agent.id && a.team === b.team);

/** Live calls: creating, tapping, metering, re-tapping after worker loss, and ending them. */
export class CallService extends EventEmitter<{
  started: [call: Call];
  updated: [call: Call];
  ended: [call: Call];
  /** Levels of every live call, measured each tick. */
  levels: [levels: Map<string, [number, number]>];
  /** The call's media moved to another worker; consumers must be made again. */
  retapped: [callId: string, tap: CallTap];
}> {
  readonly #o: CallServiceOptions;
  readonly #live = new Map<string, LiveCall>();
  readonly #byExternalId = new Map<string, string>();
  readonly #creating = new KeyedQueue();
  readonly #timer: NodeJS.Timeout;
  readonly #totals: EndedTotals = {
    calls: {
      hangup: 0,
      idle: 0,
      'media-lost': 0,
      shutdown: 0,
      'server-restart': 0,
      'node-lost': 0,
    },
    packets: 0,
    bytes: 0,
    dropped: 0,
    lost: 0,
  };
  #pendingWrites = new Set<Promise<unknown>>();
  #lastTick = Date.now();
  #ticking = false;
  /** Calls being opened now (counted against the limit), and calls refused by it. */
  #opening = 0;
  #refused = 0;
  #lastTouch = Date.now();
  /** What the audio of ended calls showed (KPIs): the last two days, oldest first, bounded. */
  readonly #recentlyEnded = new EndedConversations();
  #closed = false;
  #elsewhere: Elsewhere | undefined;

  constructor(options: CallServiceOptions) {
    super();
    this.#o = options;
    this.#timer = setInterval(() => void this.#tick(), options.tickMs ?? 250);
    options.media.on('forward-moved', this.#forwardMoved);
  }

  /**
   * Taps again the calls whose packets a replaced media thread forwards from another port
   * than their taps learnt (which take no other): listeners are sent to listen again, as
   * when a worker dies.
   */
  readonly #forwardMoved = (callIds: string[]): void => {
    for (const id of callIds) {
      const call = this.#live.get(id);
      const old = call?.tap;
      if (!call || call.closed || !old) continue;
      void this.#retap(call);
      old.close();
    }
  };

  /** Ends calls a previous process left live (it stopped before ending them). */
  async recover(quarantineMs: number): Promise<void> {
    // Their SBCs may still be sending: the ports stay in quarantine until they are quiet.
    const since = new Date(Date.now() - quarantineMs).toISOString();
    const held = await this.#o.media.quarantine(await this.#o.calls.portsInUseSince(since));
    if (held > 0) this.#o.logger.info({ ports: held }, 'ports of the previous run in quarantine');
    const orphans = await this.#o.calls.endOrphans();
    if (orphans > 0) this.#o.logger.warn({ orphans }, 'ended calls left live by the previous run');
    await this.#o.recordings.recover();
  }

  /** Announces a call: opens its two leg ports and taps it into mediasoup. */
  async open(spec: CallSpec): Promise<CreateCallResponse> {
    if (this.#closed) throw new UnavailableError('the server is shutting down');
    if (this.#live.size + this.#opening >= this.#o.maxCalls) {
      this.#refused++;
      throw new UnavailableError(
        `the server holds its limit of ${this.#o.maxCalls} live calls (EARSHOT_MAX_CALLS): try again when one ends`,
      );
    }
    this.#opening++;
    try {
      return await this.#openQueued(spec);
    } finally {
      this.#opening--;
    }
  }

  async #openQueued(spec: CallSpec): Promise<CreateCallResponse> {
    const key = spec.externalId ?? randomUUID();
    return this.#creating.run(key, async () => {
      if (spec.externalId !== undefined) {
        const existing = this.#byExternalId.get(spec.externalId);
        if (existing)
          throw new ConflictError(
            `a live call with externalId "${spec.externalId}" exists: ${existing}`,
          );
      }
      return this.#open(spec);
    });
  }

  /** Checks that a place (region, center, team, agent) fits the declared organisation. */
  async checkPlace(place: CallPlace): Promise<void> {
    const org = await this.#o.org.get();
    if (org.centers.length === 0) {
      throw new ValidationError('no organisation is declared yet: PUT /api/v1/org first', [
        { path: 'center', message: 'unknown center (the organisation is empty)' },
      ]);
    }
    const issues = [];
    const center = org.centers.find((c) => c.id === place.center);
    const team = org.teams.find((t) => t.id === place.team);
    if (!center) issues.push({ path: 'center', message: `unknown center "${place.center}"` });
    if (!org.regions.some((r) => r.id === place.region)) {
      issues.push({ path: 'region', message: `unknown region "${place.region}"` });
    } else if (center && center.regionId !== place.region) {
      issues.push({
        path: 'region',
        message: `center "${center.id}" is in region "${center.regionId}"`,
      });
    }
    if (!team) issues.push({ path: 'team', message: `unknown team "${place.team}"` });
    else if (center && team.centerId !== center.id) {
      issues.push({
        path: 'team',
        message: `team "${team.id}" belongs to center "${team.centerId}"`,
      });
    }
    if (issues.length)
      throw new ValidationError('the call does not fit the declared organisation', issues);
  }

  /** The place of an agent of the organisation, or undefined when there is no such agent. */
  async placeOfAgent(agentId: string): Promise<CallPlace | undefined> {
    const org = await this.#o.org.get();
    const agent = org.agents.find((a) => a.id === agentId);
    const team = agent && org.teams.find((t) => t.id === agent.teamId);
    const center = team && org.centers.find((c) => c.id === team.centerId);
    if (!agent || !team || !center) return undefined;
    return {
      region: center.regionId,
      center: center.id,
      team: team.id,
      agent: { id: agent.id, name: agent.name },
    };
  }

  async #open(spec: CallSpec): Promise<CreateCallResponse> {
    const id = randomUUID();
    const log = this.#o.logger.child({ callId: id });
    const { payloadType } = spec;
    const legs = new Map<LegName, RemoteLeg>();
    let call: LiveCall | undefined;
    try {
      const opened = await this.#o.media.open(
        id,
        LEGS.map((leg) => ({
          leg,
          announcedIp: this.#o.ingestAnnouncedIp,
          codec: spec.codec,
          payloadType,
          inPayloadType: spec.legs?.[leg]?.payloadType,
          eventPayloadType: spec.legs?.[leg]?.eventPayloadType,
          sources: spec.legs?.[leg]?.sources,
          fed: spec.legs?.[leg]?.fed,
        })),
      );
      for (const leg of opened) legs.set(leg.leg, leg);
      call = new LiveCall({ id, info: spec, payloadType, legs, logger: log });
      const startedAt = call.startedAt;
      await this.#o.recordings.start(id, spec.codec, startedAt, (files) =>
        this.#o.media.record(legs, id, spec.codec, startedAt.getTime(), files),
      );
      call.attach(await this.#tap(call));
    } catch (error) {
      if (call) call.close('media-lost');
      else for (const leg of legs.values()) void leg.close();
      this.#persist(this.#o.recordings.finalize(id));
      log.error({ err: error }, 'could not tap the call');
      throw new UnavailableError(
        'the call could not be tapped (media or recording unavailable); try again',
      );
    }
    const live = call;
    this.#live.set(id, live);
    if (spec.externalId !== undefined) this.#byExternalId.set(spec.externalId, id);
    for (const leg of legs.values()) {
      leg.onLost(() => {
        live.log.error('the media thread receiving the call failed; the call is lost');
        live.close('media-lost');
      });
      leg.onFirstPacket(() => {
        live.audioSince ??= Date.now();
        if (live.state === 'ringing') {
          live.state = 'talking';
          this.#persist(this.#o.calls.updateState(id, 'talking'));
          this.emit('updated', live.toJSON());
        }
      });
    }
    live.once('closed', () => this.#onClosed(live));
    const snapshot = live.toJSON();
    await this.#o.calls.insert(snapshot);
    log.info(
      { team: spec.place?.team ?? null, codec: spec.codec, unmatched: spec.place === null },
      'call started',
    );
    this.emit('started', snapshot);
    const endpoint = (leg: LegName) => ({
      ip: snapshot.legs[leg].ip,
      port: snapshot.legs[leg].port,
    });
    return { callId: id, legs: { agent: endpoint('agent'), customer: endpoint('customer') } };
  }

  async #tap(call: LiveCall): Promise<CallTap> {
    const tap = await CallTap.create({
      worker: this.#o.pool.pick(),
      callId: call.id,
      codec: call.codec,
      payloadType: call.payloadType,
      ssrcs: { agent: call.legs.get('agent')!.ssrc, customer: call.legs.get('customer')!.ssrc },
      listenIp: this.#o.mediasoupListenIp,
      portRange: this.#o.mediasoupPorts,
      logger: call.log,
    });
    tap.once('closed', (reason) => {
      if (reason === 'worker-died' && !call.closed) void this.#retap(call);
    });
    return tap;
  }

  async #retap(call: LiveCall): Promise<void> {
    call.attach(undefined);
    for (let attempt = 1; attempt <= RETAP_ATTEMPTS && !call.closed; attempt++) {
      try {
        const tap = await this.#tap(call);
        if (call.closed) {
          tap.close();
          return;
        }
        call.attach(tap);
        call.log.warn({ workerPid: tap.workerPid, attempt }, 'call re-tapped on another worker');
        this.emit('retapped', call.id, tap);
        return;
      } catch (error) {
        call.log.warn({ err: error, attempt }, 're-tap failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, RETAP_DELAY_MS));
      }
    }
    if (!call.closed) {
      call.log.error('call lost: its mediasoup worker died and no other worker could take it');
      call.close('media-lost');
    }
  }

  #onClosed(call: LiveCall): void {
    this.#live.delete(call.id);
    if (call.externalId !== undefined) this.#byExternalId.delete(call.externalId);
    const snapshot = call.toJSON();
    const reason = call.endReason ?? 'hangup';
    this.#totals.calls[reason] += 1;
    for (const leg of LEGS) {
      const s = snapshot.legs[leg];
      this.#totals.packets += s.packets;
      this.#totals.bytes += s.bytes;
      this.#totals.dropped += s.dropped;
      this.#totals.lost += s.lost;
    }
    this.#persist(this.#o.calls.finish(snapshot));
    this.#recentlyEnded.add(snapshot);
    const durationMs = (call.endedAt ?? new Date()).getTime() - call.startedAt.getTime();
    this.#persist(this.#o.recordings.finalize(call.id, durationMs));
    call.log.info(
      {
        reason,
        agentPackets: snapshot.legs.agent.packets,
        customerPackets: snapshot.legs.customer.packets,
      },
      'call ended',
    );
    this.emit('ended', snapshot);
  }

  #persist(write: Promise<unknown>): void {
    const tracked = write.catch((error: unknown) =>
      this.#o.logger.error({ err: error }, 'could not store call state'),
    );
    this.#pendingWrites.add(tracked);
    void tracked.finally(() => this.#pendingWrites.delete(tracked));
  }

  async #tick(): Promise<void> {
    // NOTE: a tick waits for the media threads' figures; a slow one is skipped, not stacked.
    if (this.#ticking || this.#closed) return;
    this.#ticking = true;
    try {
      await this.#o.media.sample();
      if (!this.#closed) this.#measure();
    } finally {
      this.#ticking = false;
    }
  }

  #measure(): void {
    const now = Date.now();
    const elapsed = now - this.#lastTick;
    this.#lastTick = now;
    const levels = new Map<string, [number, number]>();
    for (const call of this.#live.values()) {
      if (call.closed) continue;
      const agent = call.legs.get('agent')!.takeLevel();
      const customer = call.legs.get('customer')!.takeLevel();
      call.levels.agent = agent.level;
      call.levels.customer = customer.level;
      if (call.state !== 'ringing') {
        const before = [...call.conversation.flags].join();
        // The first tick of a call counts only from its first packet, not the whole tick.
        const audioMs = Math.min(elapsed, now - (call.audioSince ?? now));
        const raised = call.conversation.update(agent, customer, audioMs, call.held);
        for (const flag of raised) call.log.info({ flag }, 'the audio disagrees with the ACD');
        if ([...call.conversation.flags].join() !== before) this.emit('updated', call.toJSON());
      }
      // NOTE: two decimals are all a meter shows, and they keep board messages small.
      levels.set(call.id, [round2(call.levels.agent), round2(call.levels.customer)]);
      // NOTE: a call on hold may send no RTP at all (a=inactive): it idles out only after
      // twenty times as long, so that a hold is not taken for a dead call.
      const idleAfter = this.#o.idleTimeoutMs * (call.held ? 20 : 1);
      if (now - call.lastActivity() > idleAfter) {
        call.log.info(
          { idleMs: now - call.lastActivity() },
          'no RTP on either leg; ending the call',
        );
        call.close('idle');
      }
    }
    this.emit('levels', levels);
    if (now - this.#lastTouch >= TOUCH_MS) {
      this.#lastTouch = now;
      const activity: { id: string; at: string }[] = [];
      for (const call of this.#live.values()) {
        const at = Math.max(call.lastActivity(), call.lastEventAt);
        if (at === call.storedActivityAt) continue;
        call.storedActivityAt = at;
        activity.push({ id: call.id, at: new Date(at).toISOString() });
      }
      this.#persist(this.#o.calls.touch(activity));
    }
  }

  /** Live calls and those that ended in the last two days (for audio KPIs). */
  conversations(): Conversation[] {
    return [...this.#recentlyEnded.list(), ...this.list().map(conversationOf)];
  }

  /**
   * What the ACD says of a call Earshot taps (matched by externalId): on hold, resumed,
   * transferred. The board shows it; the audio is checked against it.
   */
  applyAcd(event: {
    type: string;
    callId?: string;
    team?: string;
    disposition?: string;
    agentId?: string;
  }): void {
    const id = event.callId === undefined ? undefined : this.#byExternalId.get(event.callId);
    const call = id === undefined ? undefined : this.#live.get(id);
    if (!call) return;
    call.lastEventAt = Date.now();
    // NOTE: a call whose stream did not name its agent (an AudioHook or Twilio stream) takes
    // the agent the ACD says answered it.
    if (event.type === 'call.answered' && event.agentId && call.place === null)
      void this.assign(call.id, event.agentId).catch((error: unknown) =>
        call.log.warn({ err: error, agentId: event.agentId }, 'could not take the answering agent'),
      );
    const next: Partial<Record<string, { state: CallState; held: boolean }>> = {
      'call.held': { state: 'held', held: true },
      'call.resumed': { state: 'talking', held: false },
      'call.transferred': { state: 'transferred', held: call.held },
    };
    if (event.type === 'call.offered' && event.team) call.acd.queue = event.team;
    if (event.type === 'call.held') call.acd.holds++;
    if (event.type === 'call.ended' && event.disposition) call.acd.disposition = event.disposition;
    const change = next[event.type];
    if (!change) {
      this.emit('updated', call.toJSON());
      return;
    }
    call.held = change.held;
    const state = change.state;
    if (state === call.state) return;
    call.state = state;
    this.#persist(this.#o.calls.updateState(call.id, state));
    this.emit('updated', call.toJSON());
  }

  /**
   * Audio an adapter received for a fed leg (G.711 at 8 kHz), at `position` samples of
   * call time. Ignored once the call has ended.
   */
  feed(id: string, leg: LegName, position: number, audio: Uint8Array): void {
    const live = this.#live.get(id);
    if (live && !live.closed) live.legs.get(leg)?.feed(position, audio);
  }

  /**
   * The stream carrying a fed call is alive (a paused AudioHook session sends no audio but
   * keeps talking): the call does not idle out meanwhile.
   */
  streamAlive(id: string): void {
    const live = this.#live.get(id);
    if (live) live.streamAliveAt = Date.now();
  }

  /** How many live calls this node holds (what placement weighs; no counters summed). */
  get liveCount(): number {
    return this.#live.size;
  }

  /** Live calls of this node, oldest first. */
  list(): Call[] {
    return [...this.#live.values()].filter((c) => !c.closed).map((c) => c.toJSON());
  }

  /** With several nodes: the other nodes' live calls join the floor and its lookups. */
  joinFloor(elsewhere: Elsewhere): void {
    this.#elsewhere = elsewhere;
  }

  /** Live calls of the whole floor: this node's, then the other nodes'. */
  floor(): Call[] {
    const here = this.list();
    return this.#elsewhere ? [...here, ...this.#elsewhere.list()] : here;
  }

  /** The node that tapped a call (live or ended), as far as this node can tell. */
  async nodeOf(id: string): Promise<string | undefined> {
    return this.ownerOf(id) ?? (await this.#o.calls.nodeOf(id));
  }

  /** The node that taps a live call of another node, when it is one. */
  ownerOf(id: string): string | undefined {
    return this.#live.has(id) ? undefined : this.#elsewhere?.get(id)?.node;
  }

  /** Earshot's id of the live call the ACD knows as `externalId`, if Earshot taps it. */
  idOfExternal(externalId: string): string | undefined {
    return this.#byExternalId.get(externalId) ?? this.#elsewhere?.idOfExternal(externalId);
  }

  /** A live call's object, for the media layer (listeners, recorders). */
  live(id: string): LiveCall | undefined {
    return this.#live.get(id);
  }

  /** Records how many people listen to a live call; the board hears of it. */
  setAudience(id: string, count: number): void {
    const live = this.#live.get(id);
    if (!live || live.audience === count) return;
    live.audience = count;
    this.emit('updated', live.toJSON());
  }

  /**
   * A call, live or ended. A live call's counters are those of the last tick (at most a
   * quarter second old: a request never waits on the media threads); an ending call's are
   * its final ones.
   */
  async get(id: string): Promise<Call> {
    const live = this.#live.get(id);
    if (live) {
      if (live.closed) await live.whenClosed;
      return live.toJSON();
    }
    const remote = this.#elsewhere?.get(id);
    if (remote) return remote.call;
    const stored = await this.#o.calls.find(id);
    if (!stored) throw new NotFoundError(`no call with id "${id}"`);
    return stored;
  }

  /** Ends a live call (the telephony side hung up). */
  async end(id: string): Promise<Call> {
    const live = await this.#liveOrThrow(id);
    live.close('hangup');
    await live.whenClosed;
    await this.flush();
    return live.toJSON();
  }

  async #liveOrThrow(id: string): Promise<LiveCall> {
    const live = this.#live.get(id);
    if (live) return live;
    const stored = await this.#o.calls.find(id);
    if (!stored) throw new NotFoundError(`no call with id "${id}"`);
    throw new ConflictError(`call "${id}" has already ended`);
  }

  /** What the telephony says changed on a live call: hold, a new agent, new parties. */
  async update(id: string, change: CallChange): Promise<Call> {
    const live = await this.#liveOrThrow(id);
    live.lastEventAt = Date.now();
    let changed = false;
    if (change.held !== undefined && change.held !== live.held) {
      live.held = change.held;
      const state: CallState = change.held ? 'held' : 'talking';
      if (live.state !== 'ringing' || change.held) {
        live.state = state;
        this.#persist(this.#o.calls.updateState(id, state));
      }
      changed = true;
    }
    if (change.participants) {
      live.participants = change.participants;
      changed = true;
    }
    for (const leg of LEGS) {
      const sources = change.sources?.[leg];
      if (sources) live.legs.get(leg)?.allowSources(sources);
    }
    if (change.place !== undefined && !samePlace(live.place, change.place)) {
      live.log.info(
        { from: live.place?.agent.id ?? null, to: change.place?.agent.id ?? null },
        'the call has a new agent',
      );
      live.place = change.place;
      changed = true;
    }
    if (changed) {
      const snapshot = live.toJSON();
      this.#persist(this.#o.calls.updatePlace(snapshot));
      this.emit('updated', snapshot);
    }
    return live.toJSON();
  }

  /** An admin names the agent of a call (an unmatched one, or a wrong match). */
  async assign(id: string, agentId: string): Promise<Call> {
    const place = await this.placeOfAgent(agentId);
    if (!place)
      throw new ValidationError('unknown agent', [
        { path: 'agentId', message: `no agent "${agentId}" in the organisation` },
      ]);
    await this.#liveOrThrow(id);
    return this.update(id, { place });
  }

  /** Ends a live call, if it still runs, for a reason the telephony gave. */
  endWith(id: string, reason: EndReason): void {
    this.#live.get(id)?.close(reason);
  }

  /** Figures for /metrics. */
  stats() {
    let packets = this.#totals.packets;
    let bytes = this.#totals.bytes;
    let dropped = this.#totals.dropped;
    let lost = this.#totals.lost;
    for (const call of this.#live.values()) {
      for (const leg of call.legs.values()) {
        const c = leg.snapshot();
        packets += c.packets;
        bytes += c.bytes;
        dropped += c.dropped;
        lost += c.lost;
      }
    }
    return {
      live: this.#live.size,
      legs: this.#live.size * LEGS.length,
      ended: { ...this.#totals.calls },
      packets,
      bytes,
      dropped,
      lost,
      /** Datagrams that came to ports in quarantine (streams of calls that are over). */
      strays: this.#o.media.strays,
      /** Calls refused because the live-call limit was reached. */
      refusedAtLimit: this.#refused,
      quarantinedPorts: this.#o.media.quarantined,
    };
  }

  /** Waits for pending database writes. */
  async flush(): Promise<void> {
    await Promise.all([...this.#pendingWrites]);
  }

  /** Ends every live call cleanly ('shutdown') and stops the timers. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    this.#o.media.off('forward-moved', this.#forwardMoved);
    const calls = [...this.#live.values()];
    for (const call of calls) call.close('shutdown');
    await Promise.all(calls.map((call) => call.whenClosed));
    await this.flush();
  }
}
