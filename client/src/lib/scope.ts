import type { Center, Me, Org, Team } from '@earshot/shared';

/** The teams whose calls a user may see, from their role grants (the server enforces it). */
export function teamsInScope(me: Me | null | undefined, org: Org | undefined): Team[] {
  if (!me || !org) return [];
  let all = false;
  const ids = new Set<string>();
  for (const grant of me.user.roles) {
    if (grant.role === 'executive' || grant.role === 'admin') all = true;
    else if (grant.role === 'teamLead') for (const t of grant.teams) ids.add(t);
    else if (grant.role === 'agent') continue;
    else if (!grant.centers) all = true;
    else for (const t of org.teams) if (grant.centers.includes(t.centerId)) ids.add(t.id);
  }
  return all ? [...org.teams] : org.teams.filter((t) => ids.has(t.id));
}

/** The centers those teams belong to. */
export function centersInScope(org: Org | undefined, teams: Team[]): Center[] {
  if (!org) return [];
  const ids = new Set(teams.map((t) => t.centerId));
  return org.centers.filter((c) => ids.has(c.id));
}

export const byName = <T extends { name: string }>(a: T, b: T) => a.name.localeCompare(b.name);

/** A place id as people read it: the org's name for it, or the id where it has none. */
export function placeName(
  org: Org | undefined,
  kind: 'centers' | 'teams' | 'regions',
  id: string,
): string {
  return org?.[kind].find((x: { id: string }) => x.id === id)?.name ?? id;
}
