// What a SIPREC INVITE (or re-INVITE, or UPDATE) body says: its SDP streams and its
// recording metadata, and which stream is the agent's and which the customer's. Pure.
import type { LegName, Participant } from '@earshot/shared';
import {
  MetadataError,
  parseMetadata,
  userPart,
  type MetadataParticipant,
  type RecordingMetadata,
} from './metadata.ts';
import { MultipartError, parseContentType, parseMultipart } from './multipart.ts';
import { parseOffer, SdpError, type OfferedStream } from './sdp.ts';

export interface RecordingOffer {
  streams: OfferedStream[];
  /** null when the body has no metadata Earshot can read (it may come later). */
  metadata: RecordingMetadata | null;
  /** The body carried a recording-metadata part (a SIPREC body, whether readable or not). */
  hasMetadataPart: boolean;
}

/** A body Earshot cannot take; `status` is the SIP answer (400, 415, 488). */
export class OfferError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'OfferError';
    this.status = status;
  }
}

const isMetadataPart = (type: string, disposition: string, content: string) =>
  type.includes('rs-metadata') ||
  disposition === 'recording-session' ||
  (type === '' && content.trimStart().startsWith('<'));

const isSdpPart = (type: string, content: string) =>
  type === 'application/sdp' || (type === '' && /^\s*v=0/.test(content));

/** Reads a request body: multipart (SDP + metadata) or SDP alone. */
export function parseRecordingBody(contentType: string | undefined, body: string): RecordingOffer {
  const { type, params } = parseContentType(contentType);
  let sdpText: string | undefined;
  let metadataText: string | undefined;
  try {
    if (type.startsWith('multipart/')) {
      for (const part of parseMultipart(body, params.get('boundary'))) {
        if (isSdpPart(part.type, part.content)) sdpText ??= part.content;
        else if (isMetadataPart(part.type, part.disposition, part.content))
          metadataText ??= part.content;
      }
    } else if (type === 'application/sdp') {
      sdpText = body;
    } else if (type.includes('rs-metadata')) {
      metadataText = body;
    } else {
      throw new OfferError(415, `unsupported body type "${type.slice(0, 60) || '(none)'}"`);
    }
  } catch (error) {
    if (error instanceof MultipartError) throw new OfferError(400, error.message);
    throw error;
  }
  let streams: OfferedStream[] = [];
  if (sdpText !== undefined) {
    try {
      streams = parseOffer(sdpText);
    } catch (error) {
      if (error instanceof SdpError) throw new OfferError(400, error.message);
      throw new OfferError(400, 'the SDP cannot be read');
    }
  }
  let metadata: RecordingMetadata | null = null;
  if (metadataText !== undefined) {
    try {
      metadata = parseMetadata(metadataText);
    } catch (error) {
      if (!(error instanceof MetadataError)) throw error;
      // NOTE: well-formed XML of another layout is taken without metadata (nothing is
      // lost for want of a mapping); broken or hostile XML is refused.
      if (!/no <recording> element/.test(error.message)) throw new OfferError(400, error.message);
    }
  }
  return { streams, metadata, hasMetadataPart: metadataText !== undefined };
}

/** How the offer's streams become the call's two legs. */
export interface LegMapping {
  /** The stream (by m-line index) on each leg; a single mixed stream goes to the agent leg. */
  legs: Partial<Record<LegName, OfferedStream>>;
  /** The participant matched to an organisation agent, with that agent's id. */
  agent: { participant: MetadataParticipant; agentId: string } | null;
  /** The participant on the customer leg, if known. */
  customer: MetadataParticipant | null;
  participants: Participant[];
}

/**
 * Decides which stream is whose: streams are matched to participants through the metadata
 * (RFC 7865 `participantstreamassoc`, or the older `send` inside `participant`; failing
 * both, participants in the order the streams come), and the participant whose address is
 * an agent's is the agent. With no agent matched, the calling party is the customer (a
 * contact center's callers are its customers), else the first stream is.
 */
export function mapLegs(
  streams: OfferedStream[],
  metadata: RecordingMetadata | null,
  agentOf: (aor: string) => string | undefined,
): LegMapping {
  const usable = streams.filter((s) => s.usable);
  const people = metadata?.participants ?? [];
  const idOfLabel = new Map((metadata?.streams ?? []).map((s) => [s.label, s.id]));
  const anyAssociation = people.some((p) => p.sends.length > 0);
  const sender = (stream: OfferedStream, position: number): MetadataParticipant | undefined => {
    if (!anyAssociation) return people.length === usable.length ? people[position] : undefined;
    const id = idOfLabel.get(stream.label);
    return id === undefined ? undefined : people.find((p) => p.sends.includes(id));
  };
  const senders = usable.map((s, i) => ({ stream: s, who: sender(s, i) }));

  let agent: LegMapping['agent'] = null;
  for (const p of people) {
    const agentId = p.aor ? agentOf(p.aor) : undefined;
    if (agentId) {
      agent = { participant: p, agentId };
      break;
    }
  }
  const legs: LegMapping['legs'] = {};
  let customer: MetadataParticipant | null = null;
  if (usable.length === 1) {
    legs.agent = usable[0];
  } else if (usable.length >= 2) {
    let agentIndex = agent ? senders.findIndex((s) => s.who === agent.participant) : -1;
    let customerIndex: number;
    if (agentIndex !== -1) {
      customerIndex = senders.findIndex((s, i) => i !== agentIndex && s.who !== agent?.participant);
      if (customerIndex === -1) customerIndex = agentIndex === 0 ? 1 : 0;
    } else {
      const calling = senders.findIndex((s) => s.who?.calling === true);
      customerIndex = calling === -1 ? 0 : calling;
      agentIndex = customerIndex === 0 ? 1 : 0;
    }
    legs.agent = senders[agentIndex]!.stream;
    legs.customer = senders[customerIndex]!.stream;
    customer = senders[customerIndex]!.who ?? null;
  }
  if (!customer) customer = people.find((p) => p !== agent?.participant) ?? null;
  const legOf = (p: MetadataParticipant): LegName | null => {
    const s = senders.find((x) => x.who === p)?.stream;
    if (!s) return null;
    return s === legs.agent ? 'agent' : s === legs.customer ? 'customer' : null;
  };
  return {
    legs,
    agent,
    customer,
    participants: people
      .filter((p) => p.aor)
      .map((p) => ({ aor: p.aor!, name: p.name, leg: legOf(p) })),
  };
}

/** A customer's number from their address, when its user part is a phone number. */
export function numberOf(aor: string | null | undefined): string | undefined {
  if (!aor) return undefined;
  const user = userPart(aor).replace(/[\s().-]/g, '');
  return /^\+?\d{3,15}$/.test(user) ? user : undefined;
}
