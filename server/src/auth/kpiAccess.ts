import type { KpiScope } from '@earshot/shared';
import type { CallService } from '../calls/CallService.ts';
import { AppError, ForbiddenError } from '../errors.ts';
import type { OrgRepository } from '../org/OrgRepository.ts';
import { within, type Access } from './Access.ts';

/**
 * Whether a user may follow a KPI scope. Aggregates (the organisation, a region, a center)
 * carry no one's conversation and are open to every supervisor; a team, an agent or a call
 * only to those who may see that team's calls.
 */
export async function mayFollow(
  access: Access,
  scope: KpiScope,
  org: OrgRepository,
  calls: CallService,
): Promise<boolean> {
  if (!access.canListenAtAll && !access.canReviewAtAll) return false;
  const sight = access.sight;
  if (sight.kind === 'all') return true;
  const [kind, id] =
    scope === 'org'
      ? ['org', '']
      : [scope.slice(0, scope.indexOf(':')), scope.slice(scope.indexOf(':') + 1)];
  if (kind === 'org' || kind === 'region' || kind === 'center') return true;
  const { teams, agents } = await org.get();
  const placeOfTeam = (teamId: string | undefined) => {
    const team = teams.find((t) => t.id === teamId);
    return team ? { team: team.id, center: team.centerId } : undefined;
  };
  let place: { team: string; center: string } | undefined;
  if (kind === 'team') place = placeOfTeam(id);
  else if (kind === 'agent') place = placeOfTeam(agents.find((a) => a.id === id)?.teamId);
  else if (kind === 'call') {
    try {
      place = await calls.get(id);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
    }
  }
  return place !== undefined && within(sight, place);
}

/** Like mayFollow, but refuses with a 403 naming the scope. */
export async function assertMayFollow(
  access: Access,
  scope: KpiScope,
  org: OrgRepository,
  calls: CallService,
): Promise<void> {
  if (!(await mayFollow(access, scope, org, calls)))
    throw new ForbiddenError(`the scope "${scope}" is outside what you may see`);
}
