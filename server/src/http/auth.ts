import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { UnauthorizedError } from '../errors.ts';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Requires `Authorization: Bearer <token>` for telephony-side routes. */
export function requireBearer(token: string): RequestHandler {
  const expected = digest(token);
  return (req, _res, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match)
      return next(new UnauthorizedError('missing "Authorization: Bearer <ingest token>" header'));
    if (!timingSafeEqual(digest(match[1]!), expected))
      return next(new UnauthorizedError('invalid ingest token'));
    next();
  };
}
