// Recording metadata (RFC 7865, application/rs-metadata+xml), in the RFC layout and in the
// pre-RFC layout older SBCs (Oracle/Acme Packet) still send. Pure: XML text in, a typed
// model or a typed error out. Namespace prefixes (`tns:`) are ignored.
import { XMLParser } from 'fast-xml-parser';

export interface MetadataParticipant {
  id: string;
  /** The address of record (`sip:7300@10.0.0.1`, `tel:+1612...`, or a bare `user@host`). */
  aor: string | null;
  name: string | null;
  /** Ids of the streams this participant sends. */
  sends: string[];
  /** The SBC says this party placed the call (Acme `callingParty`, Sonus `fromhdr`). */
  calling: boolean | null;
}

export interface MetadataStream {
  id: string;
  /** Matches the SDP's `a=label` of the m-line that carries it. */
  label: string | null;
}

export interface RecordingMetadata {
  /** `complete`: the whole picture; `partial`: only what changed (RFC 7865 6.1). */
  dataMode: 'complete' | 'partial';
  participants: MetadataParticipant[];
  streams: MetadataStream[];
  /** Participants whose association with the session ended (`disassociate-time`). */
  departed: string[];
}

export class MetadataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MetadataError';
  }
}

const MAX_XML_BYTES = 32_768;
const MAX_ITEMS = 64;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: true,
  htmlEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  maxNestedTags: 32,
  isArray: (name) =>
    [
      'participant',
      'stream',
      'participantstreamassoc',
      'send',
      'recv',
      'nameID',
      'session',
    ].includes(name),
});

type Node = Record<string, unknown>;

const asNodes = (value: unknown): Node[] =>
  (Array.isArray(value) ? value : value === undefined ? [] : [value]).map((v) =>
    typeof v === 'object' && v !== null ? (v as Node) : { '#text': String(v) },
  );

const text = (value: unknown): string | null => {
  if (value === undefined || value === null) return null;
  if (typeof value === 'object') {
    const t = (value as Node)['#text'];
    return t === undefined ? null : String(t).trim() || null;
  }
  return String(value).trim() || null;
};

const attr = (node: Node, ...names: string[]): string | null => {
  for (const n of names) {
    const v = node[`@${n}`];
    if (typeof v === 'string' && v.trim()) return v.trim();
  }
  return null;
};

/** The URI inside a From/To header value, as the Sonus callData carries them. */
const headerAddress = (value: string | null): string | null => {
  if (!value) return null;
  const m = /<([^>]+)>/.exec(value);
  return (m ? m[1]! : value.split(';')[0]!).trim() || null;
};

/** Parses rs-metadata XML. */
export function parseMetadata(xml: string): RecordingMetadata {
  if (Buffer.byteLength(xml) > MAX_XML_BYTES) throw new MetadataError('metadata too large');
  // NOTE: recording metadata never has a DTD; refusing one rules out entity expansion
  // (billion laughs) and external entities at once.
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new MetadataError('metadata with a DTD is refused');
  let doc: Node;
  try {
    doc = parser.parse(xml, true) as Node;
  } catch (error) {
    throw new MetadataError(
      `metadata is not well-formed XML: ${(error as Error).message.split('\n')[0]}`,
    );
  }
  const root = asNodes(doc.recording)[0];
  if (!root) throw new MetadataError('metadata has no <recording> element');
  const mode = (text(root.datamode) ?? text(root.dataMode) ?? 'complete').toLowerCase();

  const streams = asNodes(root.stream).map((s) => ({
    id: attr(s, 'stream_id', 'id') ?? '',
    label: text(s.label),
  }));
  const participants: MetadataParticipant[] = asNodes(root.participant).map((p) => {
    const nameId = asNodes(p.nameID)[0];
    const aor = (nameId && attr(nameId, 'aor')) ?? text(p.aor);
    const ext = p.extensiondata as Node | undefined;
    const callingRaw = ext ? text(ext.callingParty) : null;
    return {
      id: attr(p, 'participant_id', 'id') ?? '',
      aor,
      name: nameId ? text(nameId.name) : null,
      // Pre-RFC layout: what a participant sends is inside it.
      sends: asNodes(p.send)
        .map(text)
        .filter((x): x is string => x !== null),
      calling: callingRaw === null ? null : callingRaw.toLowerCase() === 'true',
    };
  });
  for (const assoc of asNodes(root.participantstreamassoc)) {
    const who = participants.find((p) => p.id === attr(assoc, 'participant_id', 'id'));
    if (!who) continue;
    for (const s of asNodes(assoc.send).map(text))
      if (s && !who.sends.includes(s)) who.sends.push(s);
  }
  // Ribbon/Sonus: the group's callData names the original From, which is the caller.
  for (const group of asNodes(root.group)) {
    const from = headerAddress(text(asNodes(group.callData)[0]?.fromhdr));
    if (!from) continue;
    for (const p of participants) {
      if (p.calling === null && p.aor) p.calling = sameUser(p.aor, from);
    }
  }
  const departed = asNodes(root.participantsessionassoc)
    .filter((a) => text(a['disassociate-time']) !== null)
    .map((a) => attr(a, 'participant_id', 'id'))
    .filter((id): id is string => id !== null);
  if (participants.length > MAX_ITEMS || streams.length > MAX_ITEMS)
    throw new MetadataError('metadata names too many participants or streams');
  return {
    dataMode: mode === 'partial' ? 'partial' : 'complete',
    participants: participants.filter((p) => p.id !== ''),
    streams: streams.filter((s) => s.id !== ''),
    departed,
  };
}

/** The user part of an address (`sip:7300@host;x` → `7300`), lower-cased. */
export function userPart(address: string): string {
  const bare = address
    .trim()
    .replace(/^<|>$/g, '')
    .replace(/^(sips?|tel):/i, '')
    .split(/[;?]/)[0]!;
  const at = bare.indexOf('@');
  return (at === -1 ? bare : bare.slice(0, at)).toLowerCase();
}

const sameUser = (a: string, b: string) => userPart(a) === userPart(b);

/**
 * Merges a partial update (RFC 7865: only what changed) into what was known: participants
 * and streams with known ids are replaced, new ones added.
 */
export function mergeMetadata(
  known: RecordingMetadata,
  update: RecordingMetadata,
): RecordingMetadata {
  const base = update.dataMode === 'complete' ? { participants: [], streams: [] } : known;
  const byId = <T extends { id: string }>(a: T[], b: T[]) => {
    const map = new Map(a.map((x) => [x.id, { ...x }]));
    for (const x of b) map.set(x.id, { ...x });
    return [...map.values()];
  };
  const participants = byId(base.participants, update.participants).filter(
    (p) => !update.departed.includes(p.id),
  );
  // A stream the update gives to someone is no longer sent by anyone else.
  for (const claimant of update.participants) {
    for (const other of participants) {
      if (other.id !== claimant.id)
        other.sends = other.sends.filter((s) => !claimant.sends.includes(s));
    }
  }
  return {
    dataMode: 'complete',
    participants,
    streams: byId(base.streams, update.streams),
    departed: [],
  };
}
