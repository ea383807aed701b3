// A small SIP user agent client for tests: real UDP or TCP on loopback, playing the SBC's
// recording client (SRC). It builds requests as SBCs do and reads Earshot's answers.
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import {
  headerParams,
  parseSipMessage,
  SipParseError,
  type SipMessage,
  type SipResponse,
} from '../ingest/siprec/sip/message.ts';
import { fixtureBoundary, siprecFixture } from './siprecFixtures.ts';

const id = () => randomBytes(6).toString('hex');

export interface SipDialogState {
  callId: string;
  fromTag: string;
  toTag?: string;
  cseq: number;
  /** The request URI and To of the INVITE (an SRS address). */
  uri: string;
}

export class SipTestClient {
  readonly transport: 'udp' | 'tcp';
  readonly #target: { host: string; port: number };
  readonly #udp?: UdpSocket;
  readonly #tcp?: Socket;
  readonly #inbox: SipMessage[] = [];
  #waiters: (() => void)[] = [];
  #pending = Buffer.alloc(0);

  private constructor(
    transport: 'udp' | 'tcp',
    target: { host: string; port: number },
    udp?: UdpSocket,
    tcp?: Socket,
  ) {
    this.transport = transport;
    this.#target = target;
    this.#udp = udp;
    this.#tcp = tcp;
  }

  static async open(
    transport: 'udp' | 'tcp',
    target: { host: string; port: number },
    /** The loopback address to send from (127.0.0.2 plays a stranger). */
    from = '127.0.0.1',
  ): Promise<SipTestClient> {
    if (transport === 'udp') {
      const udp = createSocket('udp4');
      await new Promise<void>((resolve) => udp.bind(0, from, resolve));
      const client = new SipTestClient('udp', target, udp);
      udp.on('message', (data) => client.#receive(data));
      return client;
    }
    const tcp = connect({ port: target.port, host: target.host, localAddress: from });
    await new Promise<void>((resolve, reject) => {
      tcp.once('connect', resolve);
      tcp.once('error', reject);
    });
    const client = new SipTestClient('tcp', target, undefined, tcp);
    tcp.on('data', (chunk: Buffer) => client.#stream(chunk));
    tcp.on('error', () => undefined);
    return client;
  }

  get localPort(): number {
    return this.#udp ? this.#udp.address().port : (this.#tcp?.localPort ?? 0);
  }

  #receive(data: Buffer): void {
    try {
      this.#inbox.push(parseSipMessage(data));
    } catch (error) {
      if (!(error instanceof SipParseError)) throw error;
    }
    for (const w of this.#waiters.splice(0)) w();
  }

  #stream(chunk: Buffer): void {
    this.#pending = Buffer.concat([this.#pending, chunk]);
    for (;;) {
      const text = this.#pending.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end === -1) return;
      const length = Number(/\r\nContent-Length:\s*(\d+)/i.exec(text.slice(0, end))?.[1] ?? 0);
      if (this.#pending.length < end + 4 + length) return;
      const message = this.#pending.subarray(0, end + 4 + length);
      this.#pending = this.#pending.subarray(end + 4 + length);
      this.#receive(Buffer.from(message));
    }
  }

  /** Sends raw bytes (a request, or anything at all). */
  send(data: string | Buffer): void {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    if (this.#udp) this.#udp.send(buf, this.#target.port, this.#target.host);
    else this.#tcp!.write(buf);
  }

  /** The next message that `match` accepts (others are kept), within `timeoutMs`. */
  async next(
    match: (m: SipMessage) => boolean = () => true,
    timeoutMs = 3000,
  ): Promise<SipMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.#inbox.findIndex(match);
      if (i !== -1) return this.#inbox.splice(i, 1)[0]!;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('no matching SIP message arrived in time');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The final response to a request (by Call-ID and CSeq; provisional ones are skipped). */
  async final(req: { callId: string; cseq: string }, timeoutMs = 5000): Promise<SipResponse> {
    return (await this.next(
      (m) =>
        m.kind === 'response' &&
        m.status >= 200 &&
        m.headers.get('cseq') === req.cseq &&
        m.headers.get('call-id') === req.callId,
      timeoutMs,
    )) as SipResponse;
  }

  /** Messages received and not yet taken. */
  get inbox(): readonly SipMessage[] {
    return this.#inbox;
  }

  /** A request as an SRC sends it; `branch` and `body` may be given. */
  request(
    method: string,
    dialog: SipDialogState,
    options: {
      body?: string;
      contentType?: string;
      branch?: string;
      headers?: [string, string][];
      cseq?: number;
      /** The Contact header (an SRC's, with +sip.src, unless said). */
      contact?: string;
    } = {},
  ): { text: string; branch: string; cseq: string; callId: string } {
    const branch = options.branch ?? `z9hG4bK${id()}`;
    const seq = options.cseq ?? dialog.cseq;
    const body = options.body ?? '';
    const transport = this.transport.toUpperCase();
    const lines = [
      `${method} ${dialog.uri} SIP/2.0`,
      `Via: SIP/2.0/${transport} 127.0.0.1:${this.localPort};branch=${branch};rport`,
      'Max-Forwards: 70',
      `From: <sip:src@127.0.0.1>;tag=${dialog.fromTag}`,
      `To: <${dialog.uri}>${dialog.toTag ? `;tag=${dialog.toTag}` : ''}`,
      `Call-ID: ${dialog.callId}`,
      `CSeq: ${seq} ${method === 'ACK' || method === 'CANCEL' ? method : method}`,
      `Contact: ${options.contact ?? `<sip:src@127.0.0.1:${this.localPort}>;+sip.src`}`,
      ...(options.headers ?? []).map(([n, v]) => `${n}: ${v}`),
      ...(body ? [`Content-Type: ${options.contentType ?? 'application/sdp'}`] : []),
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ];
    return { text: lines.join('\r\n'), branch, cseq: `${seq} ${method}`, callId: dialog.callId };
  }

  /** A fresh dialog towards the SRS. */
  dialog(): SipDialogState {
    return { callId: `${id()}@src.test`, fromTag: id(), cseq: 1, uri: 'sip:srs@127.0.0.1' };
  }

  /**
   * Sends a SIPREC INVITE with a fixture's body (or `body`), waits for the final answer,
   * ACKs a 200 and returns it with the dialog (To tag learnt).
   */
  async invite(
    fixture: string | { body: string; contentType: string },
    options: {
      headers?: [string, string][];
      dialog?: SipDialogState;
      ack?: boolean;
      contact?: string;
    } = {},
  ): Promise<{ response: SipResponse; dialog: SipDialogState }> {
    const dialog = options.dialog ?? this.dialog();
    const { body, contentType } = typeof fixture === 'string' ? fixtureBody(fixture) : fixture;
    const req = this.request('INVITE', dialog, {
      body,
      contentType,
      headers: options.headers ?? [
        ['Require', 'siprec'],
        ['Accept', 'application/sdp'],
      ],
      contact: options.contact,
    });
    this.send(req.text);
    const response = await this.final(req);
    dialog.toTag = headerParams(response.headers.get('to') ?? '').get('tag');
    if (response.status < 300 && options.ack !== false) this.ack(dialog);
    return { response, dialog };
  }

  /** ACK for the dialog's INVITE 2xx. */
  ack(dialog: SipDialogState): void {
    this.send(this.request('ACK', dialog).text);
  }

  /** A request within the dialog (re-INVITE, UPDATE, BYE): its final response. */
  async inDialog(
    method: string,
    dialog: SipDialogState,
    options: { body?: string; contentType?: string } = {},
  ): Promise<SipResponse> {
    dialog.cseq += 1;
    const req = this.request(method, dialog, options);
    this.send(req.text);
    const response = await this.final(req);
    if (method === 'INVITE' && response.status < 300) this.ack(dialog);
    return response;
  }

  close(): void {
    this.#udp?.close();
    this.#tcp?.destroy();
  }
}

/** A fixture's body and the multipart Content-Type an SBC would send with it. */
export function fixtureBody(name: string): { body: string; contentType: string } {
  const body = siprecFixture(name);
  return { body, contentType: `multipart/mixed;boundary=${fixtureBoundary(body)}` };
}

/** The answered m-lines of an SDP answer: port and label per line, in order. */
export function answeredStreams(
  sdp: string,
): { port: number; label: string | null; direction: string | null }[] {
  const out: { port: number; label: string | null; direction: string | null }[] = [];
  for (const line of sdp.split(/\r?\n/)) {
    if (line.startsWith('m='))
      out.push({ port: Number(line.split(' ')[1]), label: null, direction: null });
    const last = out[out.length - 1];
    if (!last) continue;
    if (line.startsWith('a=label:')) last.label = line.slice(8);
    if (/^a=(sendonly|recvonly|sendrecv|inactive)$/.test(line)) last.direction = line.slice(2);
  }
  return out;
}
