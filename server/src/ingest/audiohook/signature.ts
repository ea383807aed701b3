import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  parseDictionary,
  serializeBare,
  serializeMember,
  StructuredFieldError,
  type InnerList,
} from './structuredFields.ts';

/** What an AudioHook upgrade must sign (Genesys signs exactly these). */
export const SIGNED_COMPONENTS = [
  '@request-target',
  '@authority',
  'audiohook-organization-id',
  'audiohook-session-id',
  'audiohook-correlation-id',
  'x-api-key',
] as const;

/** How old a signature may be, and how far ahead a client's clock may run (seconds). */
export const MAX_SIGNATURE_AGE_S = 30;
const CLOCK_SKEW_S = 3;

export interface SignedUpgrade {
  /** Header fields, names in lower case, as Node gives them. */
  headers: Record<string, string | string[] | undefined>;
  /** The path and query the client asked for. */
  requestTarget: string;
  /** The host (and port) the client connected to, as it named it. */
  authority: string;
}

export type SignatureResult =
  | { ok: true; keyId: string; nonce: string; expiresAt: number }
  | { ok: false; status: 401 | 403; reason: string };

const field = (headers: SignedUpgrade['headers'], name: string): string | undefined => {
  const v = headers[name];
  const joined = Array.isArray(v) ? v.join(', ') : v;
  return joined?.trim().replace(/[ \t]*\r\n[ \t]+/g, ' ');
};

const refuse = (status: 401 | 403, reason: string): SignatureResult => ({
  ok: false,
  status,
  reason,
});

/**
 * Checks an upgrade's HTTP message signature (RFC 9421, hmac-sha256, as AudioHook uses it):
 * it must cover the AudioHook headers, name the API key as its keyid, carry a nonce, be
 * fresh, and match the integration's client secret. Pure: `secretOf` looks the key up.
 */
export function verifyUpgradeSignature(
  upgrade: SignedUpgrade,
  secretOf: (keyId: string) => Uint8Array | undefined,
  nowMs: number,
): SignatureResult {
  const apiKey = field(upgrade.headers, 'x-api-key');
  if (!apiKey) return refuse(401, 'no X-API-KEY header');
  const inputValue = field(upgrade.headers, 'signature-input');
  const sigValue = field(upgrade.headers, 'signature');
  if (!inputValue || !sigValue)
    return refuse(401, 'the upgrade is not signed (Signature-Input, Signature)');
  let inputs;
  let signatures;
  try {
    inputs = parseDictionary(inputValue);
    signatures = parseDictionary(sigValue);
  } catch (error) {
    if (error instanceof StructuredFieldError)
      return refuse(401, `malformed signature header: ${error.message}`);
    throw error;
  }
  const [label, input] = [...inputs][0] ?? [];
  if (!label || !input || !('items' in input))
    return refuse(401, 'Signature-Input names no signature');
  const signature = signatures.get(label);
  if (!signature || 'items' in signature || !(signature.value instanceof Uint8Array))
    return refuse(401, `no signature labelled "${label}"`);
  const params = new Map(input.params);
  const keyId = params.get('keyid');
  const nonce = params.get('nonce');
  const created = params.get('created');
  const expires = params.get('expires');
  const alg = params.get('alg');
  if (typeof keyId !== 'string' || keyId !== apiKey)
    return refuse(401, 'the signature keyid is not the X-API-KEY');
  if (alg !== undefined && !(typeof alg === 'string' && alg === 'hmac-sha256'))
    return refuse(401, 'only hmac-sha256 signatures are taken');
  if (typeof nonce !== 'string' || nonce.length < 16 || nonce.length > 256)
    return refuse(401, 'the signature has no nonce (or one too short)');
  if (typeof created !== 'number' || !Number.isInteger(created))
    return refuse(401, 'the signature has no created time');
  const now = nowMs / 1000;
  if (created > now + CLOCK_SKEW_S) return refuse(403, 'the signature was created in the future');
  if (created + MAX_SIGNATURE_AGE_S < now) return refuse(403, 'the signature is too old');
  if (expires !== undefined && (typeof expires !== 'number' || expires < now))
    return refuse(403, 'the signature has expired');

  const names = input.items.map((i) => i.value);
  for (const required of SIGNED_COMPONENTS)
    if (!names.some((n) => n === required))
      return refuse(401, `the signature does not cover ${required}`);
  const lines: string[] = [];
  for (const item of input.items) {
    if (typeof item.value !== 'string' || item.params.length > 0)
      return refuse(401, 'unsupported signature component');
    const name = item.value;
    let value: string | undefined;
    if (name === '@request-target') value = upgrade.requestTarget;
    else if (name === '@authority') value = upgrade.authority.toLowerCase();
    else if (name === '@method') value = 'GET';
    else if (name.startsWith('@')) return refuse(401, `unsupported signature component ${name}`);
    else value = field(upgrade.headers, name);
    if (value === undefined) return refuse(401, `the signed header ${name} is missing`);
    lines.push(`${serializeBare(name)}: ${value}`);
  }
  lines.push(`"@signature-params": ${serializeMember(input as InnerList)}`);
  const secret = secretOf(keyId);
  // NOTE: an unknown key is checked against a throwaway one, so that timing says nothing.
  const expected = createHmac('sha256', secret ?? Buffer.alloc(32))
    .update(lines.join('\n'))
    .digest();
  const given = Buffer.from(signature.value);
  const match = given.length === expected.length && timingSafeEqual(given, expected);
  if (!secret) return refuse(401, 'unknown API key');
  if (!match) return refuse(401, 'the signature does not match');
  return {
    ok: true,
    keyId,
    nonce,
    expiresAt: (typeof expires === 'number' ? expires : created + MAX_SIGNATURE_AGE_S) * 1000,
  };
}
