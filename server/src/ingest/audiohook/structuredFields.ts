// The subset of Structured Field Values (RFC 8941) that HTTP message signatures use:
// dictionaries whose members are items or inner lists, with parameters.

export type BareItem = string | number | boolean | Uint8Array | Token;

/** An sf-token (`hmac-sha256`), kept apart from an sf-string. */
export class Token {
  readonly value: string;
  constructor(value: string) {
    this.value = value;
  }
}

export type Params = [string, BareItem][];
export interface Item {
  value: BareItem;
  params: Params;
}
export interface InnerList {
  items: Item[];
  params: Params;
}
export type Member = Item | InnerList;

export class StructuredFieldError extends Error {}

const KEY = /^[a-z*][a-z0-9_\-.*]*/;
const TOKEN = /^[A-Za-z*][!#$%&'*+\-.^_`|~:/0-9A-Za-z]*/;

/** Parses a dictionary field value; throws StructuredFieldError on anything malformed. */
export function parseDictionary(input: string): Map<string, Member> {
  const p = new Parser(input);
  const out = new Map<string, Member>();
  p.skipSpaces();
  while (!p.done()) {
    const key = p.key();
    const member: Member =
      p.peek() === '=' ? (p.take(), p.member()) : { value: true, params: p.params() };
    out.set(key, member);
    p.skipOws();
    if (p.done()) break;
    p.expect(',');
    p.skipOws();
    if (p.done()) throw new StructuredFieldError('trailing comma');
  }
  return out;
}

class Parser {
  #i = 0;
  readonly s: string;
  constructor(s: string) {
    this.s = s;
  }
  done = () => this.#i >= this.s.length;
  peek = () => this.s[this.#i];
  take = () => this.s[this.#i++];
  expect(c: string): void {
    if (this.take() !== c) throw new StructuredFieldError(`expected "${c}" at ${this.#i - 1}`);
  }
  skipSpaces(): void {
    while (this.peek() === ' ') this.#i++;
  }
  skipOws(): void {
    while (this.peek() === ' ' || this.peek() === '\t') this.#i++;
  }
  #match(re: RegExp, what: string): string {
    const m = re.exec(this.s.slice(this.#i));
    if (!m) throw new StructuredFieldError(`expected ${what} at ${this.#i}`);
    this.#i += m[0].length;
    return m[0];
  }
  key(): string {
    return this.#match(KEY, 'a key');
  }
  member(): Member {
    if (this.peek() !== '(') return { value: this.bare(), params: this.params() };
    this.take();
    const items: Item[] = [];
    for (;;) {
      this.skipSpaces();
      if (this.peek() === ')') {
        this.take();
        return { items, params: this.params() };
      }
      if (this.done()) throw new StructuredFieldError('unterminated inner list');
      items.push({ value: this.bare(), params: this.params() });
      const next = this.peek();
      if (next !== ' ' && next !== ')') throw new StructuredFieldError('bad inner list');
    }
  }
  params(): Params {
    const out: Params = [];
    while (this.peek() === ';') {
      this.take();
      this.skipSpaces();
      const key = this.key();
      const value = this.peek() === '=' ? (this.take(), this.bare()) : true;
      const at = out.findIndex(([k]) => k === key);
      if (at >= 0) out.splice(at, 1);
      out.push([key, value]);
    }
    return out;
  }
  bare(): BareItem {
    const c = this.peek();
    if (c === '"') return this.#string();
    if (c === ':') {
      this.take();
      const b64 = this.#match(/^[A-Za-z0-9+/=]*/, 'base64');
      this.expect(':');
      return new Uint8Array(Buffer.from(b64, 'base64'));
    }
    if (c === '?') {
      this.take();
      const v = this.take();
      if (v !== '0' && v !== '1') throw new StructuredFieldError('bad boolean');
      return v === '1';
    }
    if (c !== undefined && /[-0-9]/.test(c)) {
      const n = this.#match(/^-?\d{1,15}(\.\d{1,3})?/, 'a number');
      return Number(n);
    }
    return new Token(this.#match(TOKEN, 'an item'));
  }
  #string(): string {
    this.take();
    let out = '';
    for (;;) {
      const c = this.take();
      if (c === undefined) throw new StructuredFieldError('unterminated string');
      if (c === '"') return out;
      if (c === '\\') {
        const e = this.take();
        if (e !== '"' && e !== '\\') throw new StructuredFieldError('bad escape');
        out += e;
      } else if (c < ' ' || c > '~') throw new StructuredFieldError('bad character in string');
      else out += c;
    }
  }
}

/** Serialises a bare item canonically (RFC 8941 §4.1). */
export function serializeBare(value: BareItem): string {
  if (value instanceof Token) return value.value;
  if (value instanceof Uint8Array) return `:${Buffer.from(value).toString('base64')}:`;
  if (typeof value === 'boolean') return value ? '?1' : '?0';
  if (typeof value === 'number')
    return Number.isInteger(value) ? String(value) : value.toFixed(3).replace(/0+$/, '');
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

export function serializeParams(params: Params): string {
  return params.map(([k, v]) => (v === true ? `;${k}` : `;${k}=${serializeBare(v)}`)).join('');
}

export function serializeMember(member: Member): string {
  if ('items' in member)
    return `(${member.items.map((i) => serializeBare(i.value) + serializeParams(i.params)).join(' ')})${serializeParams(member.params)}`;
  return serializeBare(member.value) + serializeParams(member.params);
}
