import {
  CreateTokenRequest,
  CreateUserRequest,
  LoginRequest,
  UpdateUserRequest,
} from '@earshot/shared';
import { Router } from 'express';
import type { AuditEntry } from '../audit/AuditLog.ts';
import { principalOf, readCookie, SESSION_COOKIE, sessionCookie } from '../http/auth.ts';
import { uuidParam, type RouteKit } from '../http/kit.ts';
import { parseOrThrow } from '../http/validate.ts';
import { actorOf, AuthService } from './AuthService.ts';
import type { IngestTokenStore } from './IngestTokenStore.ts';

/** Sign-in, people and ingest tokens. */
export function authRoutes(
  kit: RouteKit,
  deps: {
    auth: AuthService;
    tokens: IngestTokenStore;
    record: (entry: AuditEntry) => void;
    demoUsers: boolean;
  },
): Router {
  const router = Router();
  const { admin, signedIn, smallJson } = kit;

  router.get('/auth/config', (_req, res) => {
    res.json({ demoUsers: deps.demoUsers ? AuthService.demoDirectory() : null });
  });

  router.post('/auth/login', smallJson, async (req, res) => {
    const { username, password } = parseOrThrow(LoginRequest, req.body, 'sign-in');
    const { token, me } = await deps.auth.login(username, password, req.ip ?? 'unknown');
    res.set('Set-Cookie', sessionCookie(req, token, me.expiresAt)).json(me);
  });

  router.post('/auth/logout', async (req, res) => {
    const principal = await deps.auth.resolve(readCookie(req.get('cookie'), SESSION_COOKIE));
    if (principal) await deps.auth.logout(principal);
    res
      .set('Set-Cookie', sessionCookie(req, '', null))
      .status(204)
      .end();
  });

  router.get('/auth/me', signedIn, (_req, res) => {
    res.json(deps.auth.me(principalOf(res)));
  });

  router.get('/users', admin, async (_req, res) => {
    res.json({ users: await deps.auth.list() });
  });

  router.post('/users', admin, smallJson, async (req, res) => {
    const body = parseOrThrow(CreateUserRequest, req.body, 'user');
    res.status(201).json(await deps.auth.create(body, actorOf(principalOf(res))));
  });

  router.get('/users/:id', admin, async (req, res) => {
    res.json(await deps.auth.get(uuidParam(req.params.id, 'user')));
  });

  router.patch('/users/:id', admin, smallJson, async (req, res) => {
    const id = uuidParam(req.params.id, 'user');
    const body = parseOrThrow(UpdateUserRequest, req.body, 'user change');
    res.json(await deps.auth.update(id, body, actorOf(principalOf(res))));
  });

  router.delete('/users/:id', admin, async (req, res) => {
    const id = uuidParam(req.params.id, 'user');
    res.json(await deps.auth.delete(id, actorOf(principalOf(res))));
  });

  router.get('/tokens', admin, async (_req, res) => {
    res.json({ tokens: await deps.tokens.list() });
  });

  router.post('/tokens', admin, smallJson, async (req, res) => {
    const { name } = parseOrThrow(CreateTokenRequest, req.body, 'token');
    const actor = actorOf(principalOf(res));
    const created = await deps.tokens.create(name, actor.name);
    deps.record({
      actor,
      action: 'token.create',
      target: created.id,
      details: { name, prefix: created.prefix },
    });
    res.status(201).json(created);
  });

  router.delete('/tokens/:id', admin, async (req, res) => {
    const revoked = await deps.tokens.revoke(uuidParam(req.params.id, 'token'));
    deps.record({
      actor: actorOf(principalOf(res)),
      action: 'token.revoke',
      target: revoked.id,
      details: { name: revoked.name, prefix: revoked.prefix },
    });
    res.json(revoked);
  });

  return router;
}
