import { assertUnreachable, type Call, type Capabilities, type RoleGrant } from '@earshot/shared';
import { ForbiddenError } from '../errors.ts';

/** Calls a right covers: all of them, none, or those of some teams or centers. */
export type Reach =
  { kind: 'all' } | { kind: 'some'; teams: ReadonlySet<string>; centers: ReadonlySet<string> };

const NONE: Reach = { kind: 'some', teams: new Set(), centers: new Set() };
const ALL: Reach = { kind: 'all' };

function union(a: Reach, b: Reach): Reach {
  if (a.kind === 'all' || b.kind === 'all') return ALL;
  return {
    kind: 'some',
    teams: new Set([...a.teams, ...b.teams]),
    centers: new Set([...a.centers, ...b.centers]),
  };
}

const isEmpty = (r: Reach) => r.kind === 'some' && r.teams.size === 0 && r.centers.size === 0;

/** Whether a call (or anything placed in a team and center) is within a reach. */
export function within(reach: Reach, place: { team: string; center: string }): boolean {
  return reach.kind === 'all' || reach.teams.has(place.team) || reach.centers.has(place.center);
}

/** Masks all but the last four digits of a phone number: `+1••••••0142`. */
export function maskNumber(number: string): string {
  const digits = [...number].filter((c) => c >= '0' && c <= '9').length;
  let seen = 0;
  return [...number]
    .map((c) => {
      if (c < '0' || c > '9') return c;
      seen++;
      // The country code's "+1" stays readable; everything but the last four goes.
      return seen > digits - 4 || (number.startsWith('+') && seen === 1) ? c : '•';
    })
    .join('');
}

/**
 * What a user's roles allow, decided in one place: executives hear every call; team leads
 * hear and review their teams' calls; QA reviewers replay all centers' calls or their
 * centers'; admins manage people, tokens and the audit trail and hear nothing by that role.
 */
export class Access {
  readonly admin: boolean;
  /** Calls this user may hear live (and see on the board). */
  readonly listen: Reach;
  /** Calls this user may replay, review, comment on and tag after the fact. */
  readonly review: Reach;
  /** Whether customer numbers are shown in full (QA reviewers investigate by number). */
  readonly customerNumbers: boolean;
  /** Evaluates the calls they review with scorecards (QA reviewers). */
  readonly evaluate: boolean;
  /** Builds forms, sampling plans and calibration sessions (QA leads). */
  readonly qaLead: boolean;
  /** The agent this user is: they see their own evaluations and nothing else. */
  readonly agent: string | null;
  readonly #roles: RoleGrant[];

  constructor(roles: RoleGrant[]) {
    this.#roles = roles;
    let listen = NONE;
    let review = NONE;
    for (const grant of roles) {
      switch (grant.role) {
        case 'admin':
        case 'agent':
          break;
        case 'executive':
          listen = ALL;
          review = ALL;
          break;
        case 'teamLead': {
          const lead: Reach = { kind: 'some', teams: new Set(grant.teams), centers: new Set() };
          listen = union(listen, lead);
          review = union(review, lead);
          break;
        }
        case 'qa':
          review = union(
            review,
            grant.centers
              ? { kind: 'some', teams: new Set(), centers: new Set(grant.centers) }
              : ALL,
          );
          break;
        default:
          assertUnreachable(grant);
      }
    }
    this.admin = roles.some((r) => r.role === 'admin');
    this.listen = listen;
    this.review = review;
    this.customerNumbers = roles.some((r) => r.role === 'qa');
    this.evaluate = this.customerNumbers;
    this.qaLead = roles.some((r) => r.role === 'qa' && r.lead === true);
    const agent = roles.find((r) => r.role === 'agent');
    this.agent = agent?.role === 'agent' ? agent.agent : null;
  }

  get canListenAtAll(): boolean {
    return !isEmpty(this.listen);
  }

  get canReviewAtAll(): boolean {
    return !isEmpty(this.review);
  }

  canListen(call: { team: string; center: string }): boolean {
    return within(this.listen, call);
  }

  canReview(call: { team: string; center: string }): boolean {
    return within(this.review, call);
  }

  /** Whether the user may see a call at all (its tags, its metrics, its page). */
  canSee(call: { team: string; center: string }): boolean {
    return this.canListen(call) || this.canReview(call);
  }

  /** Everything the user may see: the union of what they hear and what they review. */
  get sight(): Reach {
    return union(this.listen, this.review);
  }

  /** A call as this user may see it: the customer's number masked unless they need it. */
  present<C extends Pick<Call, 'customer'>>(call: C): C {
    if (this.customerNumbers || !call.customer.number) return call;
    return { ...call, customer: { ...call.customer, number: maskNumber(call.customer.number) } };
  }

  /** A key shared by users who see the same board (same calls, same masking). */
  get boardKey(): string {
    const numbers = this.customerNumbers ? 'full' : 'masked';
    if (this.listen.kind === 'all') return `${numbers}:*`;
    return `${numbers}:${[...this.listen.teams].sort().join(',')}`;
  }

  capabilities(): Capabilities {
    const lead = this.#roles.flatMap((r) => (r.role === 'teamLead' ? r.teams : []));
    const qa = this.#roles.find((r) => r.role === 'qa');
    return {
      listen: this.canListenAtAll,
      review: this.canReviewAtAll,
      admin: this.admin,
      customerNumbers: this.customerNumbers,
      teams: this.listen.kind === 'all' || lead.length === 0 ? null : [...new Set(lead)],
      centers: qa?.role === 'qa' && qa.centers ? qa.centers : null,
      evaluate: this.evaluate,
      qaLead: this.qaLead,
      agent: this.agent,
    };
  }
}

/** An SQL condition keeping rows within a reach (`1 = 1` for all, `1 = 0` for none). */
export function reachSql(
  reach: Reach,
  teamColumn: string,
  centerColumn: string,
): { sql: string; params: string[] } {
  if (reach.kind === 'all') return { sql: '1 = 1', params: [] };
  const parts: string[] = [];
  const params: string[] = [];
  if (reach.teams.size) {
    parts.push(`${teamColumn} IN (${[...reach.teams].map(() => '?').join(', ')})`);
    params.push(...reach.teams);
  }
  if (reach.centers.size) {
    parts.push(`${centerColumn} IN (${[...reach.centers].map(() => '?').join(', ')})`);
    params.push(...reach.centers);
  }
  return { sql: parts.length ? `(${parts.join(' OR ')})` : '1 = 0', params };
}

/** The refusal for a call outside what the user may see. */
export const outOfScope = (call: Pick<Call, 'team'>): ForbiddenError =>
  new ForbiddenError(`call of team "${call.team}" is outside what you may see`);
