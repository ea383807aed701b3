import type { z } from 'zod';

/**
 * Parses one JSON text message of a WebSocket protocol against its schema (a union over
 * `key`), or says in a sentence what is wrong with it: too large, not JSON, a known
 * message with a bad field (naming the field), or no message of the protocol at all.
 */
export function parseJsonMessage<T>(
  text: string,
  schema: z.ZodType<T>,
  options: { key: string; known: readonly string[]; maxBytes: number; unknown: string },
): { ok: true; message: T } | { ok: false; error: string } {
  if (Buffer.byteLength(text) > options.maxBytes)
    return { ok: false, error: `text message larger than ${options.maxBytes / 1024} KiB` };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, error: 'text message is not JSON' };
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return { ok: true, message: parsed.data };
  const kind = (json as Record<string, unknown> | null)?.[options.key];
  const issue = parsed.error.issues[0];
  if (typeof kind === 'string' && options.known.includes(kind))
    return {
      ok: false,
      error:
        `invalid "${kind}" message: ${issue?.path.join('.') || 'message'} ${issue?.message ?? ''}`.trim(),
    };
  return {
    ok: false,
    error: `${options.unknown}${typeof kind === 'string' ? ` ("${kind.slice(0, 32)}")` : ''}`,
  };
}
