import { fieldIssues } from '@earshot/shared';
import type { z } from 'zod';
import { ValidationError } from '../errors.ts';

/** Parses `input` with `schema`, or throws a 400 naming every bad field. */
export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  input: unknown,
  what: string,
): z.infer<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw new ValidationError(`invalid ${what}`, fieldIssues(result.error));
  return result.data;
}
