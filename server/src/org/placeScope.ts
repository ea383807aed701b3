import type { Org } from '@earshot/shared';

/**
 * The teams a place covers: `org` all of them, `region:<id>` those of its centers,
 * `center:<id>` its teams, `team:<id>` that one (none for an unknown place).
 */
export function teamsOfPlace(scope: string, org: Org): Set<string> {
  if (scope === 'org') return new Set(org.teams.map((t) => t.id));
  const colon = scope.indexOf(':');
  const kind = scope.slice(0, colon);
  const id = scope.slice(colon + 1);
  if (kind === 'team') return new Set(org.teams.filter((t) => t.id === id).map((t) => t.id));
  const centers =
    kind === 'center'
      ? new Set([id])
      : kind === 'region'
        ? new Set(org.centers.filter((c) => c.regionId === id).map((c) => c.id))
        : new Set<string>();
  return new Set(org.teams.filter((t) => centers.has(t.centerId)).map((t) => t.id));
}
