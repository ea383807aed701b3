import { randomBytes } from 'node:crypto';
import type { Logger } from '../../../log/logger.ts';
import {
  headerParams,
  headerUri,
  parseCSeq,
  serialize,
  SIP_METHODS,
  SipParseError,
  type SipHeaders,
  type SipMessage,
  type SipRequest,
} from './message.ts';
import type { SipPeer, SipTransport } from './SipTransport.ts';

/** A refusal a handler throws: answered with `status` and `reason` (and extra headers). */
export class SipRefusal extends Error {
  readonly status: number;
  readonly headers: [string, string][];
  constructor(status: number, message: string, headers: [string, string][] = []) {
    super(message);
    this.name = 'SipRefusal';
    this.status = status;
    this.headers = headers;
  }
}

/** One dialog of a recording session, as the SIP layer keeps it. */
export interface SipDialog {
  readonly id: string;
  readonly callId: string;
  readonly remoteTag: string;
  readonly localTag: string;
  readonly peer: SipPeer;
  /** What the handler attached (its call). */
  data: unknown;
}

/** What the recording server does with sessions; the SIP layer does the rest. */
export interface SessionHandler {
  /** Whether `address` may send requests at all; a refusal is answered 403. */
  allows(address: string, request: SipRequest): boolean;
  /** A new session (initial INVITE): the answer SDP, or a SipRefusal. */
  open(dialog: SipDialog, request: SipRequest): Promise<string>;
  /** A re-INVITE or UPDATE in the dialog: the answer SDP (or the current one, no body). */
  update(dialog: SipDialog, request: SipRequest): Promise<string>;
  /** The session is over: BYE, CANCEL, no ACK, or a failed set-up. */
  end(dialog: SipDialog, reason: 'bye' | 'cancel' | 'no-ack' | 'failed'): void;
}

const T1 = 500;
const T2 = 4000;
const TIMEOUT = 64 * T1;
const MAX_TRANSACTIONS = 10_000;
const MAX_DIALOGS = 10_000;
const ALLOW = 'INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE, INFO';
const SUPPORTED = new Set(['siprec', 'replaces', 'timer', '100rel']);
const REASONS: Record<number, string> = {
  100: 'Trying',
  200: 'OK',
  400: 'Bad Request',
  403: 'Forbidden',
  405: 'Method Not Allowed',
  413: 'Request Entity Too Large',
  414: 'Request-URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Unsupported URI Scheme',
  420: 'Bad Extension',
  481: 'Call/Transaction Does Not Exist',
  483: 'Too Many Hops',
  487: 'Request Terminated',
  488: 'Not Acceptable Here',
  491: 'Request Pending',
  500: 'Server Internal Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  505: 'Version Not Supported',
};

interface Transaction {
  key: string;
  method: string;
  peer: SipPeer;
  createdAt: number;
  /** The latest response sent (answered again to a retransmitted request). */
  response?: Buffer;
  final: boolean;
  /** INVITE over UDP: the final response is sent again until ACK. */
  retransmit?: NodeJS.Timeout;
  acked: boolean;
  request: SipRequest;
  dialog?: Dialog;
  cancelled: boolean;
}

interface Dialog extends SipDialog {
  remoteUri: string;
  localUri: string;
  /** Where requests Earshot starts go (the INVITE's Contact). */
  remoteTarget: string;
  remoteCSeq: number;
  localCSeq: number;
  confirmed: boolean;
  /** The INVITE transaction that made it, until its 2xx is acknowledged. */
  invite?: Transaction;
  ended: boolean;
}

const tag = () => randomBytes(8).toString('hex');
const REQUIRED = ['via', 'from', 'to', 'call-id', 'cseq'] as const;

/**
 * The user-agent-server side of SIP that a session recording server needs (RFC 3261):
 * server transactions (retransmitted requests answered from the last response, INVITE
 * final responses retransmitted over UDP until ACK), dialogs (tags, CSeq order, 481 for
 * strangers), CANCEL, OPTIONS, and BYE when Earshot ends a session itself. What a session
 * means is the handler's business.
 */
export class SipServer {
  readonly #transport: SipTransport;
  readonly #handler: SessionHandler;
  readonly #log: Logger;
  readonly #transactions = new Map<string, Transaction>();
  readonly #dialogs = new Map<string, Dialog>();
  readonly #sweep: NodeJS.Timeout;
  readonly #contactHost: string;
  #closed = false;

  constructor(options: {
    transport: SipTransport;
    handler: SessionHandler;
    logger: Logger;
    /** The host in Contact and Via when the listener is bound to a wildcard address. */
    contactHost: string;
  }) {
    this.#transport = options.transport;
    this.#handler = options.handler;
    this.#log = options.logger;
    this.#contactHost = options.contactHost;
    this.#transport.on('message', (m, peer) => this.#onMessage(m, peer));
    this.#transport.on('invalid', (error, head, peer) => this.#onInvalid(error, head, peer));
    this.#sweep = setInterval(() => this.#expire(Date.now()), 1000);
    this.#sweep.unref();
  }

  /** Dialogs alive now. */
  get dialogs(): number {
    return this.#dialogs.size;
  }

  get transactions(): number {
    return this.#transactions.size;
  }

  #onInvalid(
    error: SipParseError,
    head: { start: SipMessage; headers: SipHeaders } | undefined,
    peer: SipPeer,
  ): void {
    this.#log.debug({ err: error.message, from: peer.address }, 'unreadable SIP message');
    if (!head || head.start.kind !== 'request' || head.start.method === 'ACK') return;
    if (REQUIRED.some((h) => !head.headers.get(h))) return;
    if (!this.#handler.allows(peer.address, head.start)) return;
    answerPath(head.start, peer).send(
      this.#response(head.start, error.status, [], '', error.message),
    );
  }

  #onMessage(message: SipMessage, peer: SipPeer): void {
    if (this.#closed) return;
    if (message.kind === 'response') {
      this.#onResponse(message.headers);
      return;
    }
    const request = message;
    if (REQUIRED.some((h) => !request.headers.get(h))) {
      const missing = REQUIRED.filter((h) => !request.headers.get(h)).join(', ');
      // Without Via there is nowhere to answer.
      if (request.headers.get('via') && request.method !== 'ACK')
        answerPath(request, peer).send(this.#response(request, 400, [], '', `missing ${missing}`));
      return;
    }
    let cseq: { seq: number; method: string };
    try {
      cseq = parseCSeq(request.headers.get('cseq'));
      if (cseq.method !== request.method.toUpperCase())
        throw new SipParseError(400, 'the CSeq method is not the request method');
    } catch (error) {
      if (request.method !== 'ACK')
        answerPath(request, peer).send(
          this.#response(request, 400, [], '', (error as Error).message),
        );
      return;
    }
    if (!this.#handler.allows(peer.address, request)) {
      if (request.method !== 'ACK')
        answerPath(request, peer).send(
          this.#response(request, 403, [], '', 'this address may not send to Earshot'),
        );
      return;
    }
    const method = request.method.toUpperCase();
    if (method === 'ACK') return this.#onAck(request);
    const key = this.#transactionKey(request, method);
    const existing = this.#transactions.get(key);
    if (existing) {
      // A retransmission: answer it as before (or not yet, while the first is worked on).
      if (existing.response) existing.peer.send(existing.response);
      return;
    }
    if (method === 'CANCEL') return this.#onCancel(request, peer);
    if (this.#transactions.size >= MAX_TRANSACTIONS) {
      answerPath(request, peer).send(
        this.#response(request, 503, [['Retry-After', '5']], '', 'too busy'),
      );
      return;
    }
    const tx = this.#begin(key, method, request, peer);
    const maxForwards = request.headers.get('max-forwards');
    if (maxForwards !== undefined && maxForwards.trim() === '0' && method !== 'OPTIONS') {
      this.#answer(tx, 483);
      return;
    }
    void this.#dispatch(tx, method, cseq.seq).catch((error: unknown) => {
      this.#log.error({ err: error, method }, 'SIP request failed');
      if (!tx.final) this.#answer(tx, 500, [], '', 'internal error');
    });
  }

  async #dispatch(tx: Transaction, method: string, seq: number): Promise<void> {
    const request = tx.request;
    const toTag = headerParams(request.headers.get('to')!).get('tag');
    switch (method) {
      case 'OPTIONS':
        this.#answer(tx, 200, [
          ['Allow', ALLOW],
          ['Accept', 'application/sdp, multipart/mixed, application/rs-metadata+xml'],
          ['Supported', 'siprec'],
        ]);
        return;
      case 'INVITE':
        if (toTag === undefined) return this.#newSession(tx, seq);
        return this.#inDialog(tx, seq, 'update');
      case 'UPDATE':
        return this.#inDialog(tx, seq, 'update');
      case 'BYE':
        return this.#inDialog(tx, seq, 'bye');
      case 'INFO':
        return this.#inDialog(tx, seq, 'info');
      default:
        if ((SIP_METHODS as readonly string[]).includes(method))
          this.#answer(
            tx,
            405,
            [['Allow', ALLOW]],
            '',
            `${method} is not taken by a recording server`,
          );
        else this.#answer(tx, 501, [['Allow', ALLOW]], '', `unknown method ${method.slice(0, 20)}`);
    }
  }

  async #newSession(tx: Transaction, seq: number): Promise<void> {
    const h = tx.request.headers;
    const unsupported = h
      .all('require')
      .map((x) => x.toLowerCase())
      .filter((x) => !SUPPORTED.has(x));
    if (unsupported.length) {
      this.#answer(tx, 420, [['Unsupported', unsupported.join(', ')]]);
      return;
    }
    const callId = h.get('call-id')!;
    const remoteTag = headerParams(h.get('from')!).get('tag');
    if (!remoteTag) {
      this.#answer(tx, 400, [], '', 'the From header has no tag');
      return;
    }
    const id = `${callId}|${remoteTag}`;
    if (this.#dialogs.has(id)) {
      // A new INVITE (new branch) for a session that exists: glare or a confused peer.
      this.#answer(tx, 491);
      return;
    }
    if (this.#dialogs.size >= MAX_DIALOGS) {
      this.#answer(tx, 503, [['Retry-After', '10']], '', 'too many recording sessions');
      return;
    }
    const contact = h.get('contact');
    const dialog: Dialog = {
      id,
      callId,
      remoteTag,
      localTag: tag(),
      peer: tx.peer,
      data: undefined,
      remoteUri: headerUri(h.get('from')!),
      localUri: headerUri(h.get('to')!),
      remoteTarget: contact ? headerUri(contact) : headerUri(h.get('from')!),
      remoteCSeq: seq,
      localCSeq: Math.floor(Math.random() * 10_000) + 1,
      confirmed: false,
      invite: tx,
      ended: false,
    };
    tx.dialog = dialog;
    this.#dialogs.set(id, dialog);
    this.#provisional(tx, 100);
    let sdp: string;
    try {
      sdp = await this.#handler.open(dialog, tx.request);
    } catch (error) {
      this.#dialogs.delete(id);
      const refusal = asRefusal(error, this.#log);
      this.#answer(tx, refusal.status, refusal.headers, '', refusal.message);
      return;
    }
    if (tx.cancelled || dialog.ended || this.#closed) {
      // Cancelled, or a BYE came while the session was being set up.
      this.#dialogs.delete(id);
      if (!tx.final) this.#answer(tx, 487);
      this.#handler.end(dialog, 'cancel');
      return;
    }
    this.#answer(tx, 200, this.#sessionHeaders(tx), sdp);
  }

  async #inDialog(tx: Transaction, seq: number, kind: 'update' | 'bye' | 'info'): Promise<void> {
    const h = tx.request.headers;
    const dialog = this.#dialogOf(h);
    if (!dialog || dialog.ended) {
      this.#answer(tx, 481, [], '', 'no such recording session');
      return;
    }
    if (seq <= dialog.remoteCSeq) {
      this.#answer(tx, 500, [], '', 'CSeq out of order');
      return;
    }
    dialog.remoteCSeq = seq;
    if (kind === 'bye') {
      dialog.ended = true;
      this.#answer(tx, 200);
      this.#forget(dialog);
      this.#handler.end(dialog, 'bye');
      return;
    }
    if (kind === 'info') {
      this.#answer(tx, 200);
      return;
    }
    if (tx.method === 'INVITE' && dialog.invite && !dialog.invite.acked) {
      this.#answer(tx, 491, [], '', 'an INVITE of this session is still pending');
      return;
    }
    try {
      const sdp = await this.#handler.update(dialog, tx.request);
      if (tx.method === 'INVITE') dialog.invite = tx;
      this.#answer(tx, 200, this.#sessionHeaders(tx), sdp);
    } catch (error) {
      const refusal = asRefusal(error, this.#log);
      this.#answer(tx, refusal.status, refusal.headers, '', refusal.message);
    }
  }

  /** A new server transaction, kept to answer retransmissions of its request. */
  #begin(key: string, method: string, request: SipRequest, peer: SipPeer): Transaction {
    const tx: Transaction = {
      key,
      method,
      peer: answerPath(request, peer),
      createdAt: Date.now(),
      final: false,
      acked: false,
      request,
      cancelled: false,
    };
    this.#transactions.set(key, tx);
    return tx;
  }

  #onCancel(request: SipRequest, peer: SipPeer): void {
    const inviteKey = this.#transactionKey(request, 'INVITE');
    const invite = this.#transactions.get(inviteKey);
    const cancel = this.#begin(this.#transactionKey(request, 'CANCEL'), 'CANCEL', request, peer);
    if (!invite) {
      this.#answer(cancel, 481, [], '', 'no INVITE to cancel');
      return;
    }
    this.#answer(cancel, 200);
    if (invite.final) return; // too late: the INVITE was answered already
    invite.cancelled = true;
    this.#answer(invite, 487);
    if (invite.dialog) {
      invite.dialog.ended = true;
      this.#dialogs.delete(invite.dialog.id);
    }
  }

  #onAck(request: SipRequest): void {
    const invite = this.#transactions.get(this.#transactionKey(request, 'INVITE'));
    if (invite) {
      this.#acked(invite);
      return;
    }
    // ACK of a 2xx is a new transaction (new branch): it belongs to the dialog.
    const dialog = this.#dialogOf(request.headers);
    if (dialog?.invite) this.#acked(dialog.invite);
  }

  #acked(tx: Transaction): void {
    tx.acked = true;
    clearTimeout(tx.retransmit);
    if (tx.dialog) tx.dialog.confirmed = true;
  }

  #onResponse(headers: SipHeaders): void {
    // Responses to requests Earshot sent (BYE): stop retransmitting them.
    const branch = headerParams(headers.get('via') ?? '').get('branch');
    if (!branch) return;
    const tx = this.#transactions.get(`uac|${branch}`);
    if (tx) {
      clearTimeout(tx.retransmit);
      this.#transactions.delete(tx.key);
    }
  }

  #dialogOf(h: SipHeaders): Dialog | undefined {
    const callId = h.get('call-id');
    const fromTag = headerParams(h.get('from') ?? '').get('tag');
    const toTag = headerParams(h.get('to') ?? '').get('tag');
    const dialog = this.#dialogs.get(`${callId}|${fromTag}`);
    if (!dialog || (toTag !== undefined && toTag !== dialog.localTag)) return undefined;
    return dialog;
  }

  #transactionKey(request: SipRequest, method: string): string {
    const branch = headerParams(request.headers.get('via')!).get('branch');
    if (branch?.startsWith('z9hG4bK')) return `${branch}|${method === 'ACK' ? 'INVITE' : method}`;
    // RFC 2543 peers: Call-ID, From tag and CSeq number name the transaction.
    const cseq = /^\s*(\d+)/.exec(request.headers.get('cseq') ?? '')?.[1] ?? '';
    const fromTag = headerParams(request.headers.get('from')!).get('tag') ?? '';
    return `${request.headers.get('call-id')}|${fromTag}|${cseq}|${method === 'ACK' ? 'INVITE' : method}`;
  }

  #sessionHeaders(tx: Transaction): [string, string][] {
    const headers: [string, string][] = [
      ['Contact', `<${this.#contactUri(tx.peer)}>;+sip.srs`],
      ['Allow', ALLOW],
      ['Supported', 'siprec, timer'],
      ['Content-Type', 'application/sdp'],
    ];
    // Session timers (RFC 4028): the recording client refreshes; Earshot only answers.
    const expires = /^\s*(\d{1,6})/.exec(tx.request.headers.get('session-expires') ?? '')?.[1];
    if (expires) {
      headers.push(['Session-Expires', `${Math.max(90, Number(expires))};refresher=uac`]);
      headers.push(['Require', 'timer']);
    }
    return headers;
  }

  #localHost(peer: SipPeer): string {
    const a = peer.local.address;
    const host =
      !a || a === '0.0.0.0' || a === '::' ? this.#contactHost : a.replace(/^::ffff:/, '');
    return host.includes(':') ? `[${host}]` : host;
  }

  #contactUri(peer: SipPeer): string {
    return `sip:srs@${this.#localHost(peer)}:${peer.local.port}${peer.transport === 'tcp' ? ';transport=tcp' : ''}`;
  }

  #response(
    request: SipRequest,
    status: number,
    extra: [string, string][] = [],
    body = '',
    warning?: string,
    toTag?: string,
  ): Buffer {
    const h = request.headers;
    let to = h.get('to') ?? '';
    if (status > 100 && toTag && headerParams(to).get('tag') === undefined)
      to = `${to};tag=${toTag}`;
    const headers: [string, string][] = [
      ...h.all('via').map((v): [string, string] => ['Via', v]),
      ['From', h.get('from') ?? ''],
      ['To', to],
      ['Call-ID', h.get('call-id') ?? ''],
      ['CSeq', h.get('cseq') ?? ''],
      ['Server', 'Earshot SRS'],
      ...extra,
    ];
    // NOTE: the reason phrase says what went wrong; the Warning carries it for tools.
    if (warning)
      headers.push([
        'Warning',
        `399 earshot "${warning.replace(/["\\\r\n]/g, ' ').slice(0, 200)}"`,
      ]);
    return serialize(`SIP/2.0 ${status} ${REASONS[status] ?? 'Error'}`, headers, body);
  }

  #provisional(tx: Transaction, status: number): void {
    tx.response = this.#response(tx.request, status);
    tx.peer.send(tx.response);
  }

  /** Sends a final response for a transaction, retransmitting INVITE's over UDP until ACK. */
  #answer(
    tx: Transaction,
    status: number,
    extra: [string, string][] = [],
    body = '',
    warning?: string,
  ): void {
    if (tx.final) return;
    tx.final = true;
    const localTag =
      tx.dialog?.localTag ??
      (headerParams(tx.request.headers.get('to') ?? '').get('tag') ? undefined : tag());
    tx.response = this.#response(tx.request, status, extra, body, warning, localTag);
    // Answered: the request's body is not needed again (retransmissions get the response).
    tx.request.body = Buffer.alloc(0);
    tx.peer.send(tx.response);
    if (tx.method !== 'INVITE') return;
    const started = Date.now();
    let interval = T1;
    const again = () => {
      if (tx.acked || this.#closed) return;
      if (Date.now() - started >= TIMEOUT) {
        this.#noAck(tx, status);
        return;
      }
      if (tx.peer.transport === 'udp') tx.peer.send(tx.response!);
      interval = Math.min(interval * 2, T2);
      tx.retransmit = setTimeout(again, interval);
    };
    tx.retransmit = setTimeout(again, interval);
  }

  #noAck(tx: Transaction, status: number): void {
    const dialog = tx.dialog;
    if (status >= 300 || !dialog || dialog.ended) return;
    this.#log.warn({ callId: dialog.callId }, 'no ACK for the 200 OK: ending the session');
    this.bye(dialog);
    this.#handler.end(dialog, 'no-ack');
  }

  /** Ends a session from Earshot's side: BYE to the recording client. Idempotent. */
  bye(target: SipDialog): void {
    const dialog = this.#dialogs.get(target.id);
    if (!dialog || dialog.ended) return;
    dialog.ended = true;
    this.#forget(dialog);
    dialog.localCSeq += 1;
    const branch = `z9hG4bK${randomBytes(10).toString('hex')}`;
    const peer = targetPath(dialog.remoteTarget, dialog.peer);
    const transport = peer.transport.toUpperCase();
    const bye = serialize(`BYE ${dialog.remoteTarget} SIP/2.0`, [
      [
        'Via',
        `SIP/2.0/${transport} ${this.#localHost(peer)}:${peer.local.port};branch=${branch};rport`,
      ],
      ['Max-Forwards', '70'],
      ['From', `<${dialog.localUri}>;tag=${dialog.localTag}`],
      ['To', `<${dialog.remoteUri}>;tag=${dialog.remoteTag}`],
      ['Call-ID', dialog.callId],
      ['CSeq', `${dialog.localCSeq} BYE`],
      ['User-Agent', 'Earshot SRS'],
    ]);
    peer.send(bye);
    if (peer.transport !== 'udp') return;
    const tx: Transaction = {
      key: `uac|${branch}`,
      method: 'BYE',
      peer,
      createdAt: Date.now(),
      final: true,
      acked: false,
      request: undefined as unknown as SipRequest,
      cancelled: false,
    };
    this.#transactions.set(tx.key, tx);
    let interval = T1;
    const again = () => {
      if (!this.#transactions.has(tx.key) || this.#closed) return;
      if (Date.now() - tx.createdAt >= TIMEOUT) return void this.#transactions.delete(tx.key);
      peer.send(bye);
      interval = Math.min(interval * 2, T2);
      tx.retransmit = setTimeout(again, interval);
    };
    tx.retransmit = setTimeout(again, interval);
  }

  #forget(dialog: Dialog): void {
    // Kept a little for retransmitted BYEs; the transaction answers those.
    this.#dialogs.delete(dialog.id);
    if (dialog.invite) clearTimeout(dialog.invite.retransmit);
  }

  #expire(now: number): void {
    for (const [key, tx] of this.#transactions) {
      if (now - tx.createdAt < TIMEOUT + T2) continue;
      clearTimeout(tx.retransmit);
      this.#transactions.delete(key);
    }
  }

  /** Stops answering; sessions still up get a BYE first. */
  close(): void {
    if (this.#closed) return;
    for (const dialog of [...this.#dialogs.values()]) if (dialog.invite?.final) this.bye(dialog);
    this.#closed = true;
    clearInterval(this.#sweep);
    for (const tx of this.#transactions.values()) clearTimeout(tx.retransmit);
    this.#transactions.clear();
    this.#dialogs.clear();
  }
}

/**
 * Where responses go over UDP (RFC 3261 18.2.2, RFC 3581): the address the request came
 * from, and the port its top Via names, unless the Via asks for `rport` (then the source
 * port). Over TCP, the connection it came on.
 */
function answerPath(request: SipRequest, peer: SipPeer): SipPeer {
  if (peer.transport !== 'udp') return peer;
  const via = request.headers.get('via') ?? '';
  if (headerParams(via).has('rport')) return peer;
  const sentBy = /^SIP\/2\.0\/UDP\s+(\[[^\]]+\]|[^\s;:]+)(?::(\d{1,5}))?/i.exec(via.trim());
  const port = sentBy?.[2] ? Number(sentBy[2]) : 5060;
  if (!(port > 0 && port < 65536) || port === peer.port) return peer;
  return { ...peer, port, send: (data) => peer.sendTo(data, peer.address, port) };
}

/** Where a request Earshot starts goes: the Contact's address when it is an IP, else the peer's. */
function targetPath(contactUri: string, peer: SipPeer): SipPeer {
  if (peer.transport !== 'udp') return peer;
  const m = /^sips?:(?:[^@;]*@)?(\[[0-9a-fA-F:.]+\]|\d{1,3}(?:\.\d{1,3}){3})(?::(\d{1,5}))?/i.exec(
    contactUri,
  );
  if (!m) return peer;
  const address = m[1]!.replace(/^\[|\]$/g, '');
  const port = m[2] ? Number(m[2]) : 5060;
  if (address === peer.address && port === peer.port) return peer;
  return { ...peer, address, port, send: (data) => peer.sendTo(data, address, port) };
}

function asRefusal(error: unknown, log: Logger): SipRefusal {
  if (error instanceof SipRefusal) return error;
  if (error instanceof Error && 'status' in error && typeof error.status === 'number') {
    const status = error.status;
    if (status >= 400 && status < 700) return new SipRefusal(status, error.message);
  }
  log.error({ err: error }, 'recording session failed');
  return new SipRefusal(500, 'the session could not be set up');
}
