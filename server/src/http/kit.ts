import type { Call } from '@earshot/shared';
import express, { type RequestHandler } from 'express';
import type { AuthService, Principal } from '../auth/AuthService.ts';
import type { IngestTokenStore } from '../auth/IngestTokenStore.ts';
import { outOfScope } from '../auth/Access.ts';
import type { CallService } from '../calls/CallService.ts';
import { NotFoundError } from '../errors.ts';
import { requireBearer, requireSession } from './auth.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A path id that must be a UUID, or a 404 naming what was not found. */
export function uuidParam(raw: string | string[] | undefined, what: string): string {
  const id = typeof raw === 'string' ? raw : '';
  if (!UUID.test(id)) throw new NotFoundError(`no ${what} with id "${id.slice(0, 64)}"`);
  return id;
}

/** What every domain's routes share: who may call them, body parsers, scoped lookups. */
export interface RouteKit {
  /** An ingest token (telephony side). */
  bearer: RequestHandler;
  /** A signed-in user. */
  signedIn: RequestHandler;
  /** A signed-in admin. */
  admin: RequestHandler;
  /** JSON bodies of up to 64 KB. */
  smallJson: RequestHandler;
  /** JSON bodies of up to `limit` (an organisation, a batch of events). */
  json(limit: string): RequestHandler;
  /** A call the principal may see (404 when there is none, 403 out of scope). */
  visibleCall(id: string, who: Principal): Promise<Call>;
  /** A call the principal may replay and review. */
  reviewableCall(id: string, who: Principal): Promise<Call>;
}

export function routeKit(deps: {
  auth: AuthService;
  tokens: IngestTokenStore;
  calls: CallService;
}): RouteKit {
  const scopedCall = async (id: string, who: Principal, right: 'canSee' | 'canReview') => {
    const call = await deps.calls.get(id);
    if (!who.access[right](call)) throw outOfScope(call);
    return call;
  };
  return {
    bearer: requireBearer(deps.tokens),
    signedIn: requireSession(deps.auth),
    admin: requireSession(deps.auth, 'admin'),
    smallJson: express.json({ limit: '64kb', strict: true }),
    json: (limit) => express.json({ limit, strict: true }),
    visibleCall: (id, who) => scopedCall(id, who, 'canSee'),
    reviewableCall: (id, who) => scopedCall(id, who, 'canReview'),
  };
}
