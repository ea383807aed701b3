import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Twilio's request signature (X-Twilio-Signature) for a WebSocket upgrade: HMAC-SHA1 of
 * the full URL Twilio connected to, keyed by the account's auth token, in base64. Like
 * Twilio's own validator, the URL is tried as given and with its default port added or
 * removed. Pure.
 */
export function validTwilioSignature(
  authToken: Uint8Array,
  signature: string,
  url: string,
): boolean {
  const given = Buffer.from(signature, 'base64');
  if (given.length !== 20) return false;
  return urlVariants(url).some((candidate) => {
    const expected = createHmac('sha1', authToken).update(candidate).digest();
    return timingSafeEqual(given, expected);
  });
}

function urlVariants(raw: string): string[] {
  const m = /^(wss?|https?):\/\/([^/:?#]+)(:\d+)?(.*)$/i.exec(raw);
  if (!m) return [raw];
  const [, scheme, host, port, rest] = m;
  const defaultPort = /^(wss|https)$/i.test(scheme!) ? ':443' : ':80';
  const variants = [raw];
  if (!port) variants.push(`${scheme}://${host}${defaultPort}${rest}`);
  else if (port === defaultPort) variants.push(`${scheme}://${host}${rest}`);
  return variants;
}
