import { z } from 'zod';
import { Id, Name } from './ids.ts';

export const ROLES = ['admin', 'executive', 'teamLead', 'qa', 'agent'] as const;
export const Role = z.enum(ROLES);
export type Role = z.infer<typeof Role>;

const Ids = (what: string) =>
  z
    .array(Id)
    .min(1, `name at least one ${what}`)
    .max(500)
    .refine((ids) => new Set(ids).size === ids.length, `lists a ${what} twice`);

/**
 * One role a user holds, with its scope: a team lead leads named teams; a QA reviewer
 * reviews all centers or the named ones (a QA lead also builds forms, plans and
 * calibrations); an agent is one agent of the organisation and sees only their own
 * evaluations; admins and executives are not scoped.
 */
export const RoleGrant = z.discriminatedUnion(
  'role',
  [
    z.strictObject({ role: z.literal('admin') }),
    z.strictObject({ role: z.literal('executive') }),
    z.strictObject({ role: z.literal('teamLead'), teams: Ids('team') }),
    z.strictObject({
      role: z.literal('qa'),
      centers: Ids('center').optional(),
      lead: z.boolean().optional(),
    }),
    z.strictObject({ role: z.literal('agent'), agent: Id }),
  ],
  { error: `must be one of ${ROLES.map((r) => `"${r}"`).join(', ')}` },
);
export type RoleGrant = z.infer<typeof RoleGrant>;

const Roles = z
  .array(RoleGrant)
  .max(5)
  .refine((roles) => new Set(roles.map((r) => r.role)).size === roles.length, 'lists a role twice')
  .refine(
    (roles) => roles.length < 2 || roles.every((r) => r.role !== 'agent'),
    'an agent sees only their own evaluations: the agent role cannot be combined with another',
  );

export const Username = z
  .string()
  .trim()
  .min(2, 'must be at least 2 characters')
  .max(64, 'must be at most 64 characters')
  .regex(
    /^[a-z0-9][a-z0-9._@-]*$/,
    'may contain lower-case letters, digits, ".", "_", "@" and "-"',
  );

export const Password = z
  .string()
  .min(10, 'must be at least 10 characters')
  .max(256, 'must be at most 256 characters');

export const LoginRequest = z.strictObject({
  username: z.string().trim().toLowerCase().min(1, 'must not be empty').max(64),
  password: z.string().min(1, 'must not be empty').max(256),
});
export type LoginRequest = z.infer<typeof LoginRequest>;

/** `POST /api/v1/users`. */
export const CreateUserRequest = z.strictObject({
  username: Username,
  /** Shown to other listeners and on tags; the username when absent. */
  name: Name.optional(),
  password: Password,
  roles: Roles,
});
export type CreateUserRequest = z.infer<typeof CreateUserRequest>;

/** `PATCH /api/v1/users/:id`: any of name, password, roles. */
export const UpdateUserRequest = z
  .strictObject({ name: Name.optional(), password: Password.optional(), roles: Roles.optional() })
  .refine((u) => Object.keys(u).length > 0, { message: 'nothing to change' });
export type UpdateUserRequest = z.infer<typeof UpdateUserRequest>;

export interface User {
  id: string;
  username: string;
  name: string;
  roles: RoleGrant[];
  /** A demo user (exists only while demo mode is on). */
  demo: boolean;
  createdAt: string;
  updatedAt: string;
}

/** What the signed-in user may do, for the console to show only what works. */
export interface Capabilities {
  /** Sees the live board and listens (executive: every call; team lead: own teams). */
  listen: boolean;
  /** Replays recordings, reviews and comments. */
  review: boolean;
  /** Manages users and ingest tokens and reads the audit trail. */
  admin: boolean;
  /** Sees customer numbers in full. */
  customerNumbers: boolean;
  /** Teams a team lead leads (null: not limited to teams). */
  teams: string[] | null;
  /** Centers a QA reviewer reviews (null: all of them, or not a QA reviewer). */
  centers: string[] | null;
  /** Evaluates calls with scorecards (QA reviewers). */
  evaluate: boolean;
  /** Builds forms, sampling plans and calibration sessions (QA leads). */
  qaLead: boolean;
  /** The agent this user is (the agent role): they see only their own evaluations. */
  agent: string | null;
}

/** `GET /api/v1/auth/me`. */
export interface Me {
  user: User;
  capabilities: Capabilities;
  /** When this session ends unless renewed by signing in again. */
  expiresAt: string;
}

/** `GET /api/v1/auth/config`: what the login page shows before anyone signs in. */
export interface AuthConfig {
  /** Demo mode: the demo users and their passwords, shown on the login page. */
  demoUsers: { username: string; password: string; description: string }[] | null;
}

/** `POST /api/v1/tokens`: an ingest credential for a telephony integration. */
export const CreateTokenRequest = z.strictObject({
  name: z.string().trim().min(1, 'must not be empty').max(80, 'must be at most 80 characters'),
});
export type CreateTokenRequest = z.infer<typeof CreateTokenRequest>;

export interface IngestToken {
  id: string;
  name: string;
  /** The first characters of the token, to recognise it. */
  prefix: string;
  createdAt: string;
  createdBy: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** The answer to creating a token: the only time the secret is shown. */
export interface CreatedIngestToken extends IngestToken {
  token: string;
}

export const AUDIT_ACTIONS = [
  'auth.login',
  'auth.login_failed',
  'auth.logout',
  'listen.start',
  'listen.stop',
  'listen.denied',
  'recording.replay',
  'recording.download',
  'recording.denied',
  'tag.create',
  'tag.update',
  'tag.delete',
  'user.create',
  'user.update',
  'user.delete',
  'token.create',
  'token.revoke',
  'call.assign',
  'siprec.peer.add',
  'siprec.peer.remove',
  'siprec.refused',
  'audiohook.refused',
  'twilio.refused',
  'integration.audiohook.create',
  'integration.audiohook.remove',
  'integration.twilio.create',
  'integration.twilio.remove',
  'kpi.reported',
  'alert.rule.create',
  'alert.rule.delete',
  'alert.acknowledge',
  'alert.resolve',
  'observation.create',
  'observation.reasons',
  'qa.form.create',
  'qa.form.update',
  'qa.form.publish',
  'qa.form.retire',
  'qa.settings',
  'qa.plan.create',
  'qa.plan.draw',
  'qa.calibration.create',
  'qa.calibration.close',
  'evaluation.create',
  'evaluation.submit',
  'evaluation.acknowledge',
  'evaluation.dispute',
  'evaluation.rescore',
  'evaluation.uphold',
  'evaluation.denied',
] as const;
export const AuditAction = z.enum(AUDIT_ACTIONS);
export type AuditAction = z.infer<typeof AuditAction>;

/** `GET /api/v1/audit?actor=&action=&target=&from=&to=&before=&limit=&format=csv`. */
export const AuditQuery = z.object({
  actor: z.string().max(120).optional(),
  action: z
    .string()
    .max(400)
    .transform((s) => s.split(',').filter(Boolean))
    .pipe(z.array(AuditAction).max(AUDIT_ACTIONS.length))
    .optional(),
  target: z.string().max(120).optional(),
  from: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 time' }).optional(),
  to: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 time' }).optional(),
  /** Records before this sequence number (to page back). */
  before: z.coerce.number().int().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(200),
  format: z.enum(['json', 'csv']).default('json'),
});
export type AuditQuery = z.infer<typeof AuditQuery>;

export interface AuditRecord {
  seq: number;
  at: string;
  actor: { id: string; name: string };
  action: AuditAction;
  target: string | null;
  details: Record<string, unknown>;
  prevHash: string;
  hash: string;
}
