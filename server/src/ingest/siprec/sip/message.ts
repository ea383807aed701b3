// SIP messages (RFC 3261 section 7): a strict, small parser and serialiser for the
// recording-server side. Pure: bytes in, a typed message or a typed error out.

/** Limits that keep a hostile peer from making us hold much. */
export const SIP_LIMITS = {
  /** A whole message (UDP datagram or TCP frame). */
  messageBytes: 65_535,
  /** The start line and headers together. */
  headerBytes: 16_384,
  headers: 128,
  uriLength: 2_048,
} as const;

/** Compact header forms (RFC 3261 7.3.3 and the extensions a recording client uses). */
const COMPACT: Record<string, string> = {
  i: 'call-id',
  m: 'contact',
  e: 'content-encoding',
  l: 'content-length',
  c: 'content-type',
  f: 'from',
  s: 'subject',
  k: 'supported',
  t: 'to',
  v: 'via',
  o: 'event',
  r: 'refer-to',
  u: 'allow-events',
  x: 'session-expires',
};

/** Headers that may be folded into one line with commas, and split back. */
const LIST_HEADERS = new Set(['via', 'require', 'supported', 'allow', 'proxy-require', 'route']);

export const SIP_METHODS = [
  'INVITE',
  'ACK',
  'BYE',
  'CANCEL',
  'OPTIONS',
  'UPDATE',
  'INFO',
  'PRACK',
  'REGISTER',
  'SUBSCRIBE',
  'NOTIFY',
  'REFER',
  'MESSAGE',
  'PUBLISH',
] as const;

export class SipHeaders {
  readonly #map = new Map<string, string[]>();

  /** The values of a header (by its long name, any case), in order. */
  all(name: string): string[] {
    return this.#map.get(name.toLowerCase()) ?? [];
  }

  /** The first value of a header. */
  get(name: string): string | undefined {
    return this.all(name)[0];
  }

  add(name: string, value: string): void {
    const key = name.toLowerCase();
    const list = this.#map.get(key);
    if (list) list.push(value);
    else this.#map.set(key, [value]);
  }

  get size(): number {
    return this.#map.size;
  }
}

export interface SipRequest {
  kind: 'request';
  method: string;
  uri: string;
  headers: SipHeaders;
  body: Buffer;
}

export interface SipResponse {
  kind: 'response';
  status: number;
  reason: string;
  headers: SipHeaders;
  body: Buffer;
}

export type SipMessage = SipRequest | SipResponse;

/** Why bytes are not a SIP message we take; `status` is what to answer, when one can be. */
export class SipParseError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'SipParseError';
    this.status = status;
  }
}

const TOKEN = /^[A-Za-z0-9.!%*_+`'~-]+$/;

/** Where the header section ends: CRLFCRLF (or a bare LFLF from a sloppy peer). */
export function headerEnd(buf: Buffer): { at: number; length: number } | undefined {
  const crlf = buf.indexOf('\r\n\r\n');
  const lf = buf.indexOf('\n\n');
  if (crlf === -1 && lf === -1) return undefined;
  if (lf !== -1 && (crlf === -1 || lf < crlf)) return { at: lf, length: 2 };
  return { at: crlf, length: 4 };
}

/** The Content-Length a header section declares, or undefined; throws on a bad one. */
export function declaredLength(headers: SipHeaders): number | undefined {
  const values = headers.all('content-length');
  if (values.length === 0) return undefined;
  if (values.length > 1 && new Set(values).size > 1)
    throw new SipParseError(400, 'conflicting Content-Length headers');
  const raw = values[0]!.trim();
  if (!/^\d{1,6}$/.test(raw))
    throw new SipParseError(400, `bad Content-Length "${raw.slice(0, 20)}"`);
  const length = Number(raw);
  if (length > SIP_LIMITS.messageBytes) throw new SipParseError(413, 'message too large');
  return length;
}

/** Parses the start line and headers (the bytes before the blank line). */
export function parseHead(text: string): {
  start: SipRequest | SipResponse;
  headers: SipHeaders;
  /** The SIP version the start line names (only 2.0 is taken). */
  version: string;
} {
  const lines = text.split(/\r?\n/);
  const startLine = lines.shift() ?? '';
  const headers = new SipHeaders();
  let count = 0;
  let last: { name: string; value: string } | undefined;
  const flush = () => {
    if (!last) return;
    const values = LIST_HEADERS.has(last.name) ? splitList(last.value) : [last.value];
    for (const v of values) headers.add(last.name, v);
    last = undefined;
  };
  for (const line of lines) {
    if (line === '') continue;
    if (line.startsWith(' ') || line.startsWith('\t')) {
      // Folded continuation of the previous header (RFC 3261 7.3.1).
      if (!last) throw new SipParseError(400, 'a header continuation with no header');
      last.value += ` ${line.trim()}`;
      continue;
    }
    flush();
    const colon = line.indexOf(':');
    if (colon <= 0) throw new SipParseError(400, `malformed header line "${line.slice(0, 40)}"`);
    const rawName = line.slice(0, colon).trim();
    if (!TOKEN.test(rawName))
      throw new SipParseError(400, `bad header name "${rawName.slice(0, 40)}"`);
    if (++count > SIP_LIMITS.headers) throw new SipParseError(400, 'too many headers');
    const lower = rawName.toLowerCase();
    last = { name: COMPACT[lower] ?? lower, value: line.slice(colon + 1).trim() };
  }
  flush();
  const empty = Buffer.alloc(0);
  const response = /^SIP\/(\d+\.\d+) (\d{3}) ?(.*)$/.exec(startLine);
  if (response) {
    return {
      version: response[1]!,
      start: {
        kind: 'response',
        status: Number(response[2]),
        reason: response[3] ?? '',
        headers,
        body: empty,
      },
      headers,
    };
  }
  const request = /^([A-Za-z]+) (\S+) SIP\/(\d+\.\d+)$/.exec(startLine);
  if (!request) throw new SipParseError(400, `malformed start line "${startLine.slice(0, 60)}"`);
  if (request[2]!.length > SIP_LIMITS.uriLength)
    throw new SipParseError(414, 'Request-URI too long');
  if (!/^(sips?|tel):/i.test(request[2]!))
    throw new SipParseError(416, `unsupported URI scheme in "${request[2]!.slice(0, 40)}"`);
  return {
    version: request[3]!,
    start: { kind: 'request', method: request[1]!, uri: request[2]!, headers, body: empty },
    headers,
  };
}

/** Splits a comma list, leaving commas inside quotes and angle brackets alone. */
export function splitList(value: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '"' && value[i - 1] !== '\\') quoted = !quoted;
    else if (!quoted && c === '<') depth++;
    else if (!quoted && c === '>') depth = Math.max(0, depth - 1);
    else if (!quoted && depth === 0 && c === ',') {
      out.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(value.slice(start).trim());
  return out.filter((v) => v !== '');
}

/**
 * Parses one whole SIP message (a UDP datagram, or a TCP frame already cut by its
 * Content-Length). Over UDP a missing Content-Length means the rest of the datagram.
 */
export function parseSipMessage(buf: Buffer): SipMessage {
  if (buf.length > SIP_LIMITS.messageBytes) throw new SipParseError(413, 'message too large');
  const end = headerEnd(buf);
  if (!end) {
    if (buf.length > SIP_LIMITS.headerBytes) throw new SipParseError(400, 'headers too large');
    throw new SipParseError(400, 'no blank line after the headers');
  }
  if (end.at > SIP_LIMITS.headerBytes) throw new SipParseError(400, 'headers too large');
  const head = buf.subarray(0, end.at).toString('utf8');
  const { start, headers, version } = parseHead(head);
  if (version !== '2.0') throw new SipParseError(505, 'only SIP/2.0 is supported');
  const rest = buf.subarray(end.at + end.length);
  const length = declaredLength(headers);
  if (length !== undefined && length > rest.length)
    throw new SipParseError(400, `Content-Length ${length} exceeds the ${rest.length} bytes sent`);
  start.body = length === undefined ? rest : rest.subarray(0, length);
  return start;
}

/** The parameters of a header value after its first `;` (`;tag=x;branch=y`). */
export function headerParams(value: string): Map<string, string> {
  const params = new Map<string, string>();
  // Parameters follow the URI's closing '>' when there is one.
  const close = value.lastIndexOf('>');
  const tail = close === -1 ? value : value.slice(close + 1);
  const parts = tail.split(';').slice(1);
  for (const part of parts) {
    const eq = part.indexOf('=');
    const name = (eq === -1 ? part : part.slice(0, eq)).trim().toLowerCase();
    if (name)
      params.set(
        name,
        eq === -1
          ? ''
          : part
              .slice(eq + 1)
              .trim()
              .replace(/^"|"$/g, ''),
      );
  }
  return params;
}

/** The URI inside a name-addr (`"Bob" <sip:bob@x>;tag=1`) or an addr-spec. */
export function headerUri(value: string): string {
  const lt = value.indexOf('<');
  const gt = value.indexOf('>', lt);
  if (lt !== -1 && gt > lt) return value.slice(lt + 1, gt);
  return value.split(';')[0]!.trim();
}

/** CSeq: number and method, or throws a 400. */
export function parseCSeq(value: string | undefined): { seq: number; method: string } {
  const m = /^(\d{1,10})\s+([A-Za-z]+)$/.exec(value?.trim() ?? '');
  if (!m || Number(m[1]) > 2 ** 31 - 1) throw new SipParseError(400, 'missing or malformed CSeq');
  return { seq: Number(m[1]), method: m[2]!.toUpperCase() };
}

/** Serialises a message: start line, headers in the given order, Content-Length, body. */
export function serialize(
  start: string,
  headers: [name: string, value: string][],
  body: Buffer | string = '',
): Buffer {
  const payload = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const lines = [
    start,
    ...headers.map(([n, v]) => `${n}: ${v}`),
    `Content-Length: ${payload.length}`,
  ];
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8'), payload]);
}
