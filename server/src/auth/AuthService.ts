import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type {
  AuditAction,
  CreateUserRequest,
  Me,
  RoleGrant,
  UpdateUserRequest,
  User,
} from '@earshot/shared';
import type { Database } from '../db/Database.ts';
import {
  ConflictError,
  NotFoundError,
  RateLimitedError,
  UnauthorizedError,
  ValidationError,
} from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import type { OrgRepository } from '../org/OrgRepository.ts';
import { Access } from './Access.ts';
import type { Redis } from 'ioredis';
import { LoginLimiter, type LoginAttempt } from './LoginLimiter.ts';
import { SharedLoginLimiter } from './SharedLoginLimiter.ts';
import { hashPassword, UNKNOWN_USER_HASH, verifyPassword } from './passwords.ts';
import { SessionStore } from './SessionStore.ts';
import { UserRepository, type StoredUser } from './UserRepository.ts';

/** A signed-in session, as every route and socket event sees it. */
export interface Principal {
  sessionHash: string;
  user: User;
  access: Access;
  expiresAt: string;
}

/** Who did something, for the audit trail and for tags. */
export const actorOf = (p: Principal) => ({ id: p.user.id, name: p.user.name });

type Recorder = (entry: {
  actor: { id: string; name: string };
  action: AuditAction;
  target: string | null;
  details?: { [key: string]: unknown };
}) => void;

export const DEMO_PASSWORD = 'earshot-demo';
/**
 * The demo agent's user starts as the demo organisation's first agent; the QA demo points
 * it at the agent whose calls it evaluated (see `QaDemo`).
 */
export const DEMO_AGENT = { username: 'agent', id: 'minneapolis-care-1-a01', name: 'Alex Agent' };
const DEMO_USERS: { username: string; name: string; roles: RoleGrant[]; description: string }[] = [
  {
    username: 'exec',
    name: 'Dana Exec',
    roles: [{ role: 'executive' }],
    description: 'Executive: hears every call',
  },
  {
    username: 'lead',
    name: 'Sam Lead',
    // NOTE: eight teams, so that the demo's couple of dozen calls keep the lead's board busy.
    roles: [
      {
        role: 'teamLead',
        teams: ['minneapolis', 'st-paul', 'duluth', 'rochester'].flatMap((c) => [
          `${c}-care-1`,
          `${c}-care-2`,
        ]),
      },
    ],
    description: 'Team lead of Care 1 and 2 in the four Minnesota centers',
  },
  {
    username: 'qa',
    name: 'Quinn QA',
    roles: [{ role: 'qa', lead: true }],
    description: 'QA lead: replays and evaluates every center, builds forms and plans',
  },
  {
    username: DEMO_AGENT.username,
    name: DEMO_AGENT.name,
    roles: [{ role: 'agent', agent: DEMO_AGENT.id }],
    description: 'Agent: sees their own evaluations, acknowledges or disputes them',
  },
  {
    username: 'admin',
    name: 'Ada Admin',
    roles: [{ role: 'admin' }],
    description: 'Admin: users, tokens, audit trail',
  },
];

type Settled = LoginAttempt | { retryAfterMs: number };

const toUser = ({ passwordHash: _, ...user }: StoredUser): User => user;

/**
 * Sign-in, sessions and the people who may sign in. Emits `changed` when a user's rights
 * change (or the user is gone) and `ended` when a session ends, so that live sockets and
 * listeners lose what they may no longer have at once.
 */
export class AuthService extends EventEmitter<{
  /** A user's roles changed or the user was deleted. */
  changed: [userId: string];
  /** A session ended: signed out or expired. */
  ended: [sessionHash: string, reason: 'signed-out' | 'expired'];
}> {
  readonly #users: UserRepository;
  readonly #sessions: SessionStore;
  readonly #org: OrgRepository;
  readonly #limiter: {
    begin(address: string, username: string): Settled | Promise<Settled>;
  };
  readonly #record: Recorder;
  readonly #log: Logger;
  readonly #sweep: NodeJS.Timeout;

  constructor(options: {
    db: Database;
    org: OrgRepository;
    sessionTtlMs: number;
    record: Recorder;
    logger: Logger;
    /** With several nodes, the limit lives in Redis and binds them all. */
    redis?: Redis;
  }) {
    super();
    const limits = { windowMs: 15 * 60_000, perUser: 5, usersPerAddress: 20 };
    this.#limiter = options.redis
      ? new SharedLoginLimiter(options.redis, limits)
      : new LoginLimiter(limits);
    this.#users = new UserRepository(options.db);
    this.#sessions = new SessionStore(options.db, options.sessionTtlMs);
    this.#org = options.org;
    this.#record = options.record;
    this.#log = options.logger;
    this.#sweep = setInterval(() => void this.sweep(), 30_000);
    this.#sweep.unref();
  }

  /** Ends expired sessions (and tells their sockets). */
  async sweep(): Promise<void> {
    try {
      for (const hash of await this.#sessions.sweep()) this.emit('ended', hash, 'expired');
    } catch (error) {
      this.#log.error({ err: error }, 'session sweep failed');
    }
  }

  /** Checks a password; opens a session, or throws 401 (or 429 past the attempt limit). */
  async login(
    username: string,
    password: string,
    address: string,
  ): Promise<{ token: string; me: Me }> {
    // The attempt counts before its password is checked: a burst cannot pass the limit.
    const attempt = await this.#limiter.begin(address, username);
    if ('retryAfterMs' in attempt) {
      const wait = attempt.retryAfterMs;
      this.#record({
        actor: { id: 'anonymous', name: username },
        action: 'auth.login_failed',
        target: null,
        details: { address, reason: 'rate_limited' },
      });
      throw new RateLimitedError(
        wait < 60_000
          ? `too many sign-ins at once: try again in ${Math.ceil(wait / 1000)} s`
          : `too many failed sign-ins: try again in ${Math.ceil(wait / 60_000)} min`,
        Math.ceil(wait / 1000),
      );
    }
    const user = await this.#users.byUsername(username);
    const ok = await verifyPassword(password, user?.passwordHash ?? UNKNOWN_USER_HASH).catch(
      (error: unknown) => {
        attempt.cancelled(); // not checked: it does not count against the user
        throw error;
      },
    );
    if (!user || !ok) {
      attempt.failed();
      this.#record({
        actor: { id: user?.id ?? 'anonymous', name: username },
        action: 'auth.login_failed',
        target: null,
        details: { address, reason: user ? 'wrong_password' : 'unknown_user' },
      });
      throw new UnauthorizedError('wrong username or password');
    }
    attempt.succeeded();
    const { token, session } = await this.#sessions.create(user.id);
    this.#record({ actor: user, action: 'auth.login', target: null, details: { address } });
    return { token, me: this.me(this.#principal(user, session.idHash, session.expiresAt)) };
  }

  /** Ends a session. */
  async logout(principal: Principal): Promise<void> {
    await this.#sessions.delete(principal.sessionHash);
    this.#record({ actor: actorOf(principal), action: 'auth.logout', target: null });
    this.emit('ended', principal.sessionHash, 'signed-out');
  }

  /** The principal a session token opens, or undefined. */
  async resolve(token: string | undefined): Promise<Principal | undefined> {
    if (!token) return undefined;
    const session = await this.#sessions.find(token);
    if (!session) return undefined;
    const user = await this.#users.byId(session.userId);
    if (!user) return undefined;
    return this.#principal(user, session.idHash, session.expiresAt);
  }

  /** Like resolve, but throws 401 with a message the console can show. */
  async require(token: string | undefined): Promise<Principal> {
    const principal = await this.resolve(token);
    if (!principal) throw new UnauthorizedError('sign in first (or again: the session has ended)');
    return principal;
  }

  #principal(user: StoredUser, sessionHash: string, expiresAt: string): Principal {
    return { sessionHash, user: toUser(user), access: new Access(user.roles), expiresAt };
  }

  me(principal: Principal): Me {
    return {
      user: principal.user,
      capabilities: principal.access.capabilities(),
      expiresAt: principal.expiresAt,
    };
  }

  async list(): Promise<User[]> {
    return (await this.#users.list()).map(toUser);
  }

  async get(id: string): Promise<User> {
    return toUser(await this.#stored(id));
  }

  async #stored(id: string): Promise<StoredUser> {
    const user = await this.#users.byId(id);
    if (!user) throw new NotFoundError(`no user with id "${id.slice(0, 64)}"`);
    return user;
  }

  /** Teams and centers named in roles must exist in the organisation. */
  async #checkScope(roles: RoleGrant[]): Promise<void> {
    const org = await this.#org.get();
    const teams = new Set(org.teams.map((t) => t.id));
    const centers = new Set(org.centers.map((c) => c.id));
    const agents = new Set(org.agents.map((a) => a.id));
    const issues: { path: string; message: string }[] = [];
    roles.forEach((grant, i) => {
      if (grant.role === 'teamLead')
        grant.teams.forEach((t, j) => {
          if (!teams.has(t))
            issues.push({ path: `roles.${i}.teams.${j}`, message: `no team "${t}"` });
        });
      if (grant.role === 'qa')
        grant.centers?.forEach((c, j) => {
          if (!centers.has(c))
            issues.push({ path: `roles.${i}.centers.${j}`, message: `no center "${c}"` });
        });
      if (grant.role === 'agent' && !agents.has(grant.agent))
        issues.push({ path: `roles.${i}.agent`, message: `no agent "${grant.agent}"` });
    });
    if (issues.length)
      throw new ValidationError('the roles name teams or centers that do not exist', issues);
  }

  async #adminsBesides(id: string): Promise<number> {
    return (await this.#users.list()).filter(
      (u) => u.id !== id && u.roles.some((r) => r.role === 'admin'),
    ).length;
  }

  async create(request: CreateUserRequest, by: { id: string; name: string }): Promise<User> {
    await this.#checkScope(request.roles);
    if (await this.#users.byUsername(request.username))
      throw new ConflictError(`the username "${request.username}" is taken`);
    const now = new Date().toISOString();
    const user: StoredUser = {
      id: randomUUID(),
      username: request.username,
      name: request.name ?? request.username,
      roles: request.roles,
      demo: false,
      createdAt: now,
      updatedAt: now,
      passwordHash: await hashPassword(request.password),
    };
    await this.#users.insert(user);
    this.#record({
      actor: by,
      action: 'user.create',
      target: user.id,
      details: { username: user.username, roles: user.roles },
    });
    return toUser(user);
  }

  async update(
    id: string,
    request: UpdateUserRequest,
    by: { id: string; name: string },
  ): Promise<User> {
    const user = await this.#stored(id);
    if (request.roles) {
      await this.#checkScope(request.roles);
      const stillAdmin = request.roles.some((r) => r.role === 'admin');
      if (
        !stillAdmin &&
        user.roles.some((r) => r.role === 'admin') &&
        (await this.#adminsBesides(id)) === 0
      )
        throw new ConflictError('this is the last admin: make someone else admin first');
    }
    const next: StoredUser = {
      ...user,
      name: request.name ?? user.name,
      roles: request.roles ?? user.roles,
      passwordHash: request.password ? await hashPassword(request.password) : user.passwordHash,
      updatedAt: new Date().toISOString(),
    };
    await this.#users.update(next);
    this.#record({
      actor: by,
      action: 'user.update',
      target: id,
      details: {
        username: user.username,
        ...(request.name ? { name: request.name } : {}),
        ...(request.roles ? { rolesBefore: user.roles, roles: request.roles } : {}),
        ...(request.password ? { password: 'changed' } : {}),
      },
    });
    // A new password signs the user out everywhere; 'changed' brings every live socket of
    // the user to the new rights at once (or closes it when its session is gone).
    if (request.password) await this.#endSessions(id);
    this.emit('changed', id);
    return toUser(next);
  }

  async delete(id: string, by: { id: string; name: string }): Promise<User> {
    const user = await this.#stored(id);
    if (user.roles.some((r) => r.role === 'admin') && (await this.#adminsBesides(id)) === 0)
      throw new ConflictError('this is the last admin: make someone else admin first');
    await this.#users.delete(id);
    await this.#endSessions(id);
    this.#record({
      actor: by,
      action: 'user.delete',
      target: id,
      details: { username: user.username },
    });
    this.emit('changed', id);
    return toUser(user);
  }

  async #endSessions(userId: string): Promise<void> {
    // Sockets check their session on every event; 'changed' makes them check now.
    await this.#sessions.deleteForUser(userId);
  }

  /**
   * Makes `username` an admin with `password` (creating the user if needed): the first
   * admin's command and EARSHOT_ADMIN_PASSWORD both come here.
   */
  async ensureAdmin(
    username: string,
    password: string,
  ): Promise<'created' | 'updated' | 'unchanged'> {
    const user = await this.#users.byUsername(username);
    const system = { id: 'system', name: 'system' };
    if (!user) {
      await this.create({ username, password, roles: [{ role: 'admin' }] }, system);
      return 'created';
    }
    // A demo user taken over by the operator is no longer a demo user (nor removed as one).
    if (user.demo) await this.#users.update({ ...user, demo: false });
    const isAdmin = user.roles.some((r) => r.role === 'admin');
    const samePassword = await verifyPassword(password, user.passwordHash);
    if (isAdmin && samePassword) return 'unchanged';
    await this.update(
      user.id,
      {
        ...(samePassword ? {} : { password }),
        ...(isAdmin ? {} : { roles: [...user.roles, { role: 'admin' as const }] }),
      },
      system,
    );
    return 'updated';
  }

  /** Demo mode: one user per role with a published password; off: they are removed. */
  async demoUsers(enabled: boolean): Promise<void> {
    const existing = await this.#users.list();
    if (!enabled) {
      for (const user of existing.filter((u) => u.demo)) {
        await this.#users.delete(user.id);
        await this.#endSessions(user.id);
        this.emit('changed', user.id);
      }
      return;
    }
    const hash = await hashPassword(DEMO_PASSWORD);
    for (const demo of DEMO_USERS) {
      const found = existing.find((u) => u.username === demo.username);
      // NOTE: a demo user keeps up with the directory's roles (the QA lead came later); the
      // demo agent keeps the agent the QA demo pointed it at.
      if (found) {
        const roles = found.roles.some((r) => r.role === 'agent') ? found.roles : demo.roles;
        if (found.demo && JSON.stringify(roles) !== JSON.stringify(found.roles)) {
          await this.#users.update({ ...found, roles, updatedAt: new Date().toISOString() });
          this.emit('changed', found.id);
        }
        continue;
      }
      const now = new Date().toISOString();
      await this.#users.insert({
        id: randomUUID(),
        username: demo.username,
        name: demo.name,
        roles: demo.roles,
        demo: true,
        createdAt: now,
        updatedAt: now,
        passwordHash: hash,
      });
    }
  }

  /** Points the demo agent's user at an agent of the organisation (demo mode only). */
  async pointDemoAgent(agent: { id: string; name: string }): Promise<void> {
    const user = await this.#users.byUsername(DEMO_AGENT.username);
    if (!user?.demo) return;
    const roles: RoleGrant[] = [{ role: 'agent', agent: agent.id }];
    if (JSON.stringify(user.roles) === JSON.stringify(roles) && user.name === agent.name) return;
    await this.#users.update({
      ...user,
      name: agent.name,
      roles,
      updatedAt: new Date().toISOString(),
    });
    this.emit('changed', user.id);
  }

  /** The demo users as the login page shows them. */
  static demoDirectory() {
    return DEMO_USERS.map((u) => ({
      username: u.username,
      password: DEMO_PASSWORD,
      description: u.description,
    }));
  }

  close(): void {
    clearInterval(this.#sweep);
  }
}
