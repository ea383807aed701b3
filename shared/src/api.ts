import { z } from 'zod';

/** Machine-readable error codes every REST error and socket ack carries. */
export const ErrorCode = z.enum([
  'bad_request',
  'validation_failed',
  'unauthorized',
  'forbidden',
  'not_found',
  'conflict',
  'payload_too_large',
  'rate_limited',
  'unavailable',
  'internal',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const FieldIssue = z.object({ path: z.string(), message: z.string() });
export type FieldIssue = z.infer<typeof FieldIssue>;

/** The body of every 4xx/5xx answer. */
export const ApiErrorBody = z.object({
  error: z.object({ code: ErrorCode, message: z.string(), issues: z.array(FieldIssue).optional() }),
});
export type ApiErrorBody = z.infer<typeof ApiErrorBody>;

/** Turns zod issues into `{ path, message }` pairs with dotted paths (`agent.id`). */
export function fieldIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.length ? issue.path.map(String).join('.') : '(body)',
    message: issue.message,
  }));
}

/** Socket.IO acks: `{ ok: true, data } | { ok: false, error }`. */
export type Ack<T> =
  | { ok: true; data: T }
  | { ok: false; error: { code: ErrorCode; message: string; issues?: FieldIssue[] } };

/** Ends a switch over a discriminated union: a new member fails the typecheck here. */
export function assertUnreachable(value: never): never {
  throw new Error(`unexpected value ${JSON.stringify(value)}`);
}
