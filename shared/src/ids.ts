import { z } from 'zod';

/** An identifier chosen by an operator or another system: letters, digits, `.`, `_`, `-`. */
export const Id = z
  .string()
  .min(1, 'must not be empty')
  .max(64, 'must be at most 64 characters')
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'may contain letters, digits, ".", "_" and "-"');

/** A human-readable name. */
export const Name = z.string().trim().min(1, 'must not be empty').max(120);
