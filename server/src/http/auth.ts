import type { Request, RequestHandler, Response } from 'express';
import type { AuthService, Principal } from '../auth/AuthService.ts';
import type { IngestTokenStore } from '../auth/IngestTokenStore.ts';
import { ForbiddenError, UnauthorizedError } from '../errors.ts';

export const SESSION_COOKIE = 'earshot_session';

/** One cookie's value from a Cookie header, or undefined. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header || header.length > 8192) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The session cookie: httpOnly, SameSite=Strict, Secure when the request came over HTTPS. */
export function sessionCookie(req: Request, token: string, expiresAt: string | null): string {
  return [
    `${SESSION_COOKIE}=${token}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Strict',
    ...(req.secure ? ['Secure'] : []),
    expiresAt === null ? 'Max-Age=0' : `Expires=${new Date(expiresAt).toUTCString()}`,
  ].join('; ');
}

/** Whether a Host header names one of `allowed` (any port); null allows every host. */
export function hostAllowed(host: string | undefined, allowed: readonly string[] | null): boolean {
  if (allowed === null) return true;
  if (!host) return false;
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0]!;
  return allowed.includes(name.toLowerCase());
}

/** Whether an Origin header names the host the request was sent to. */
export function sameOrigin(origin: string | undefined, host: string | undefined): boolean {
  if (!origin || !host) return false;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

/**
 * CSRF: a change made with the session cookie (or a sign-in) must come from a page of this
 * server; browsers always send Origin on such requests, so a missing one is refused too.
 */
export function refuseCrossSite(): RequestHandler {
  return (req, _res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return next();
    const cookieAuthenticated = readCookie(req.get('cookie'), SESSION_COOKIE) !== undefined;
    if (!cookieAuthenticated && req.path !== '/auth/login') return next();
    if (sameOrigin(req.get('origin'), req.get('host'))) return next();
    next(new ForbiddenError("cross-site request refused: the Origin is not this server's own"));
  };
}

/** The signed-in principal of a request that passed `signedIn`. */
export function principalOf(res: Response): Principal {
  return res.locals.principal as Principal;
}

/**
 * What an agent may ask for: their session, their evaluations (and disputes), the recording
 * of an evaluated call of theirs (checked by its route), and the QA settings. Every other
 * route answers 403 to an agent, whatever it would check itself.
 */
const AGENT_ROUTES = [
  /^\/api\/v1\/auth\//,
  /^\/api\/v1\/evaluations(\/|$)/,
  /^\/api\/v1\/calls\/[0-9a-f-]{36}\/recording$/,
  /^\/api\/v1\/qa\/settings$/,
];

/** Requires a live session; with `admin`, an admin's. */
export function requireSession(auth: AuthService, need?: 'admin'): RequestHandler {
  return (req, res, next) => {
    auth
      .require(readCookie(req.get('cookie'), SESSION_COOKIE))
      .then((principal) => {
        if (need === 'admin' && !principal.access.admin)
          throw new ForbiddenError('only an admin may do this');
        const path = `${req.baseUrl}${req.path}`;
        if (principal.access.agent !== null && !AGENT_ROUTES.some((r) => r.test(path)))
          throw new ForbiddenError('an agent sees only their own evaluations');
        res.locals.principal = principal;
        next();
      })
      .catch(next);
  };
}

/** Requires `Authorization: Bearer <ingest token>` for telephony-side routes. */
export function requireBearer(tokens: IngestTokenStore): RequestHandler {
  return (req, _res, next) => {
    const match = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
    if (!match)
      return next(new UnauthorizedError('missing "Authorization: Bearer <ingest token>" header'));
    tokens
      .verify(match[1]!)
      .then((ok) => next(ok ? undefined : new UnauthorizedError('invalid or revoked ingest token')))
      .catch(next);
  };
}
