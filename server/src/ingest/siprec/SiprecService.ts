import type { Call, LegName } from '@earshot/shared';
import { LEGS } from '@earshot/shared';
import type { AuditEntry } from '../../audit/AuditLog.ts';
import type { CallChange, CallSpec, LegSpec } from '../../calls/CallService.ts';
import type { PlacedCalls } from '../../calls/PlacedCalls.ts';
import { UnavailableError } from '../../errors.ts';
import type { Logger } from '../../log/logger.ts';
import type { OrgRepository } from '../../org/OrgRepository.ts';
import type { RtpSource } from '../LegIngest.ts';
import type { SipRequest } from './sip/message.ts';
import { SipRefusal, SipServer, type SessionHandler, type SipDialog } from './sip/SipServer.ts';
import { SipTransport, type SipListen } from './sip/SipTransport.ts';
import { mergeMetadata, type RecordingMetadata } from './metadata.ts';
import { mapLegs, numberOf, OfferError, parseRecordingBody, type LegMapping } from './offer.ts';
import { buildAnswer, chooseCodec, type AnswerStream, type OfferedStream } from './sdp.ts';
import type { SiprecPeers } from './SiprecPeers.ts';

/** What Earshot keeps of one recording session. */
interface Session {
  callId: string;
  /** The m-lines as last offered, and the leg each taken one feeds. */
  streams: OfferedStream[];
  legOf: Map<string, LegName>;
  codec: Call['codec'];
  ports: Record<LegName, number>;
  metadata: RecordingMetadata | null;
  /** The address the answer gives for the legs. */
  ip: string;
  sessionId: string;
  version: number;
  answer: string;
}

const REFUSAL_AUDIT_MS = 60_000;

/**
 * SIPREC (RFC 7866): Earshot as a session recording server. Each recording session
 * becomes a call through the call service's open / update / end: its streams are the legs
 * (matched to the agent through the metadata and the organisation's agent addresses), each
 * heard only from the addresses the signalling names, and the answer points the SBC at
 * the legs' ports. Above ingest/ nothing knows the call came by SIP.
 */
export class SiprecService implements SessionHandler {
  readonly #calls: PlacedCalls;
  readonly #org: OrgRepository;
  readonly #peers: SiprecPeers;
  readonly #log: Logger;
  readonly #record: (entry: AuditEntry) => void;
  readonly #byCall = new Map<string, SipDialog>();
  readonly #refusalsAudited = new Map<string, number>();
  readonly #transport: SipTransport;
  readonly #server: SipServer;

  private constructor(options: {
    calls: PlacedCalls;
    org: OrgRepository;
    peers: SiprecPeers;
    logger: Logger;
    record: (entry: AuditEntry) => void;
    transport: SipTransport;
    contactHost: string;
  }) {
    this.#calls = options.calls;
    this.#org = options.org;
    this.#peers = options.peers;
    this.#log = options.logger;
    this.#record = options.record;
    this.#transport = options.transport;
    this.#server = new SipServer({
      transport: options.transport,
      handler: this,
      logger: options.logger,
      contactHost: options.contactHost,
    });
    this.#calls.on('ended', (call) => this.#onCallEnded(call));
  }

  static async start(options: {
    listen: SipListen[];
    calls: PlacedCalls;
    org: OrgRepository;
    peers: SiprecPeers;
    logger: Logger;
    record: (entry: AuditEntry) => void;
    contactHost: string;
  }): Promise<SiprecService> {
    const transport = await SipTransport.listen(options.listen, options.logger);
    const service = new SiprecService({ ...options, transport });
    options.logger.info({ listen: transport.addresses() }, 'SIPREC recording server listening');
    return service;
  }

  /** Where SIP is heard (actual ports). */
  addresses(): SipListen[] {
    return this.#transport.addresses();
  }

  /** Recording sessions up now. */
  get sessions(): number {
    return this.#server.dialogs;
  }

  allows(address: string, request: SipRequest): boolean {
    if (this.#peers.allows(address)) return true;
    const now = Date.now();
    // NOTE: one audit record per address and minute: a flood must not flood the trail.
    if (now - (this.#refusalsAudited.get(address) ?? 0) >= REFUSAL_AUDIT_MS) {
      if (this.#refusalsAudited.size > 10_000) this.#refusalsAudited.clear();
      this.#refusalsAudited.set(address, now);
      this.#record({
        actor: { id: 'siprec', name: 'SIPREC' },
        action: 'siprec.refused',
        target: address,
        details: { method: request.method.slice(0, 16), reason: 'address not allowed' },
      });
      this.#log.warn(
        { from: address, method: request.method },
        'SIPREC request from an address not allowed',
      );
    }
    return false;
  }

  async open(dialog: SipDialog, request: SipRequest): Promise<string> {
    const h = request.headers;
    const offer = this.#readBody(request);
    const siprec =
      h.all('require').some((r) => r.toLowerCase() === 'siprec') ||
      (h.get('contact') ?? '').toLowerCase().includes('+sip.src') ||
      offer?.hasMetadataPart === true;
    if (!siprec)
      throw new SipRefusal(
        488,
        'not a recording session: Earshot is a SIPREC recording server (Require: siprec)',
      );
    if (!offer || offer.streams.length === 0)
      throw new SipRefusal(488, 'a recording session needs an SDP offer');
    const addresses = await this.#org.addresses();
    const mapping = mapLegs(offer.streams, offer.metadata, (aor) => addresses.find(aor));
    // The offer's order of m-lines is its order of preference.
    const taken = LEGS.map((leg) => mapping.legs[leg])
      .filter((s): s is OfferedStream => !!s)
      .sort((a, b) => a.index - b.index);
    if (taken.length === 0)
      throw new SipRefusal(488, 'no audio stream Earshot can take (PCMU, PCMA, Opus over RTP/AVP)');
    const codec = chooseCodec(taken);
    if (!codec)
      throw new SipRefusal(488, 'the streams share no codec Earshot takes (PCMU, PCMA, Opus)');
    const place = mapping.agent
      ? ((await this.#calls.placeOfAgent(mapping.agent.agentId)) ?? null)
      : null;
    const legs: Partial<Record<LegName, LegSpec>> = {};
    const legOf = new Map<string, LegName>();
    for (const leg of LEGS) {
      const stream = mapping.legs[leg];
      if (!stream) continue;
      legOf.set(streamKey(stream), leg);
      legs[leg] = {
        payloadType: stream.codecs.find((c) => c.codec === codec)!.payloadType,
        eventPayloadType: stream.telephoneEvent?.payloadType,
        sources: sourcesOf(stream, dialog.peer.address),
      };
    }
    const spec: CallSpec = {
      externalId: dialog.callId.slice(0, 128),
      place,
      customer: customerOf(mapping),
      codec,
      payloadType: legs[mapping.legs.agent ? 'agent' : 'customer']!.payloadType!,
      legs,
      participants: mapping.participants,
    };
    let created;
    try {
      created = await this.#calls.open(spec);
    } catch (error) {
      if (error instanceof UnavailableError)
        throw new SipRefusal(503, error.message, [['Retry-After', '5']]);
      if (error instanceof Error && 'status' in error && error.status === 409)
        throw new SipRefusal(482, error.message);
      throw error;
    }
    const session: Session = {
      callId: created.callId,
      streams: offer.streams,
      legOf,
      codec,
      ports: { agent: created.legs.agent.port, customer: created.legs.customer.port },
      metadata: offer.metadata,
      ip: created.legs.agent.ip,
      sessionId: String(Date.now()),
      version: 1,
      answer: '',
    };
    session.answer = this.#answer(session);
    dialog.data = session;
    this.#byCall.set(created.callId, dialog);
    if (offer.streams.some((s) => s.direction === 'inactive'))
      await this.#calls.update(created.callId, { held: isHeld(session, offer.streams) });
    this.#log.info(
      { callId: created.callId, sipCallId: dialog.callId, agent: place?.agent.id ?? null, codec },
      'SIPREC session started',
    );
    return session.answer;
  }

  async update(dialog: SipDialog, request: SipRequest): Promise<string> {
    const session = dialog.data as Session | undefined;
    if (!session) throw new SipRefusal(481, 'no such recording session');
    const offer = this.#readBody(request);
    if (!offer) return session.answer;
    const before = session.answer;
    if (offer.metadata) {
      session.metadata = session.metadata
        ? mergeMetadata(session.metadata, offer.metadata)
        : offer.metadata;
    }
    if (offer.streams.length) session.streams = offer.streams;
    const addresses = await this.#org.addresses();
    const mapping = mapLegs(session.streams, session.metadata, (aor) => addresses.find(aor));
    const place = mapping.agent
      ? ((await this.#calls.placeOfAgent(mapping.agent.agentId)) ?? null)
      : null;
    // The legs stay on the streams they were given; only who is on them may change.
    const participants = mapping.participants.map((p) => {
      const sent = (session.metadata?.participants ?? []).find((x) => x.aor === p.aor);
      const stream = session.streams.find((s) => {
        const id = session.metadata?.streams.find((m) => m.label === s.label)?.id;
        return id !== undefined && sent?.sends.includes(id);
      });
      return { ...p, leg: stream ? (session.legOf.get(streamKey(stream)) ?? null) : p.leg };
    });
    const sources: CallChange['sources'] = {};
    for (const stream of session.streams) {
      const leg = session.legOf.get(streamKey(stream));
      if (leg) sources[leg] = sourcesOf(stream, dialog.peer.address);
    }
    await this.#calls.update(session.callId, {
      held: isHeld(session, session.streams),
      sources,
      ...(offer.metadata ? { place, participants } : {}),
    });
    if (this.#answer(session) !== before) {
      session.version += 1;
      session.answer = this.#answer(session);
    }
    return session.answer;
  }

  end(dialog: SipDialog, reason: 'bye' | 'cancel' | 'no-ack' | 'failed'): void {
    const session = dialog.data as Session | undefined;
    if (!session) return;
    this.#byCall.delete(session.callId);
    this.#calls.endWith(
      session.callId,
      reason === 'bye' || reason === 'cancel' ? 'hangup' : 'media-lost',
    );
    this.#log.info({ callId: session.callId, reason }, 'SIPREC session ended');
  }

  /** Earshot ended a call itself (idle, media lost, shutdown): the SBC hears a BYE. */
  #onCallEnded(call: Call): void {
    const dialog = this.#byCall.get(call.id);
    if (!dialog) return;
    this.#byCall.delete(call.id);
    this.#server.bye(dialog);
  }

  #readBody(request: SipRequest): ReturnType<typeof parseRecordingBody> | undefined {
    if (request.body.length === 0) return undefined;
    try {
      return parseRecordingBody(request.headers.get('content-type'), request.body.toString('utf8'));
    } catch (error) {
      if (error instanceof OfferError) throw new SipRefusal(error.status, error.message);
      throw error;
    }
  }

  #answer(session: Session): string {
    const streams: AnswerStream[] = session.streams.map((offer) => {
      const leg = session.legOf.get(streamKey(offer));
      return leg && offer.usable && offer.codecs.some((c) => c.codec === session.codec)
        ? { offer, port: session.ports[leg], codec: session.codec }
        : { offer, port: 0 };
    });
    return buildAnswer({
      ip: session.ip,
      sessionId: session.sessionId,
      version: session.version,
      streams,
    });
  }

  /** Sends BYE to every session and stops listening. */
  close(): void {
    this.#server.close();
    this.#transport.close();
  }
}

/** A stream's identity across re-INVITEs: its label, else its place in the offer. */
const streamKey = (s: OfferedStream) =>
  s.label !== null ? `label:${s.label}` : `index:${s.index}`;

const isHeld = (session: Session, streams: OfferedStream[]) => {
  const taken = streams.filter((s) => session.legOf.has(streamKey(s)));
  return (
    taken.length > 0 &&
    taken.every((s) => s.direction === 'inactive' || s.direction === 'recvonly' || s.zeroAddress)
  );
};

/** Media for a stream is heard from its SDP address and from the signalling peer. */
function sourcesOf(stream: OfferedStream, peerAddress: string): RtpSource[] {
  const ips = new Set<string>([peerAddress.replace(/^::ffff:(?=\d+\.)/, '')]);
  if (stream.address) ips.add(stream.address);
  return [...ips].map((ip) => ({ ip }));
}

function customerOf(mapping: LegMapping): CallSpec['customer'] {
  const c = mapping.customer;
  if (!c) return {};
  const number = numberOf(c.aor);
  const name = c.name?.trim();
  return {
    ...(number ? { number } : {}),
    ...(name && name !== number ? { name: name.slice(0, 120) } : {}),
  };
}
