import { z } from 'zod';
import { Id, Name } from './ids.ts';

const isTimeZone = (tz: string): boolean => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};

/** `HH:MM`, 24-hour clock. */
export const ClockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24-hour)');

export const Region = z.strictObject({ id: Id, name: Name });
export type Region = z.infer<typeof Region>;

export const Center = z.strictObject({
  id: Id,
  name: Name,
  regionId: Id,
  timeZone: z.string().refine(isTimeZone, 'must be an IANA time zone such as America/Chicago'),
});
export type Center = z.infer<typeof Center>;

/** Opening hours in the center's time zone: a daily window, or around the clock. */
export const TeamHours = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('daily'), open: ClockTime, close: ClockTime }),
  z.strictObject({ kind: z.literal('always') }),
]);
export type TeamHours = z.infer<typeof TeamHours>;

export const Team = z.strictObject({
  id: Id,
  name: Name,
  centerId: Id,
  /** Specialty teams (e.g. 7 am-9 pm) or conventional care. */
  specialty: z.boolean(),
  hours: TeamHours,
});
export type Team = z.infer<typeof Team>;

/**
 * An agent. `addresses` are what the telephony calls them (SIP URIs, extensions, phone
 * numbers): a SIPREC call's participant whose address matches one is this agent.
 */
export const Agent = z.strictObject({
  id: Id,
  name: Name,
  teamId: Id,
  addresses: z
    .array(
      z
        .string()
        .trim()
        .min(1)
        .max(256)
        .regex(/^[^\s<>"]+$/, 'must be a SIP URI, an extension or a number, without spaces'),
    )
    .max(20)
    .optional(),
});
export type Agent = z.infer<typeof Agent>;

const MAX = { regions: 200, centers: 500, teams: 5_000, agents: 100_000 } as const;

function duplicates(ids: string[]): string[] {
  const seen = new Set<string>();
  return [...new Set(ids.filter((id) => seen.size === seen.add(id).size))];
}

/** The whole organisation, declared at once with `PUT /api/v1/org`. */
export const Org = z
  .strictObject({
    regions: z.array(Region).max(MAX.regions),
    centers: z.array(Center).max(MAX.centers),
    teams: z.array(Team).max(MAX.teams),
    agents: z.array(Agent).max(MAX.agents),
  })
  .superRefine((org, ctx) => {
    for (const key of ['regions', 'centers', 'teams', 'agents'] as const) {
      for (const id of duplicates(org[key].map((x) => x.id))) {
        ctx.addIssue({ code: 'custom', path: [key], message: `id "${id}" appears more than once` });
      }
    }
    const regions = new Set(org.regions.map((r) => r.id));
    const centers = new Set(org.centers.map((c) => c.id));
    const teams = new Set(org.teams.map((t) => t.id));
    org.centers.forEach((c, i) => {
      if (!regions.has(c.regionId)) {
        ctx.addIssue({
          code: 'custom',
          path: ['centers', i, 'regionId'],
          message: `unknown region "${c.regionId}"`,
        });
      }
    });
    org.teams.forEach((t, i) => {
      if (!centers.has(t.centerId)) {
        ctx.addIssue({
          code: 'custom',
          path: ['teams', i, 'centerId'],
          message: `unknown center "${t.centerId}"`,
        });
      }
    });
    const claimed = new Map<string, string>();
    org.agents.forEach((a, i) => {
      for (const address of a.addresses ?? []) {
        const key = address.toLowerCase();
        const other = claimed.get(key);
        if (other !== undefined && other !== a.id) {
          ctx.addIssue({
            code: 'custom',
            path: ['agents', i, 'addresses'],
            message: `address "${address}" is also agent "${other}"'s`,
          });
        }
        claimed.set(key, a.id);
      }
      if (!teams.has(a.teamId)) {
        ctx.addIssue({
          code: 'custom',
          path: ['agents', i, 'teamId'],
          message: `unknown team "${a.teamId}"`,
        });
      }
    });
  });
export type Org = z.infer<typeof Org>;

/** A place people follow: the organisation, a region, a center or a team. */
export const PlaceScope = z
  .string()
  .max(140)
  .regex(
    /^(org|(region|center|team):[A-Za-z0-9._-]{1,128})$/,
    'must be org, region:<id>, center:<id> or team:<id>',
  );
