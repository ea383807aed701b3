import type { Org, Team } from '@earshot/shared';
import type { Random } from './random.ts';

const REGIONS = [
  { id: 'upper-midwest', name: 'Upper Midwest' },
  { id: 'new-york-city', name: 'New York City' },
  { id: 'central', name: 'Central' },
  { id: 'mountain-west', name: 'Mountain West' },
  { id: 'southeast', name: 'Southeast' },
  { id: 'pacific-northwest', name: 'Pacific Northwest' },
];

// 17 centers, as the carrier runs them.
const CENTERS: { id: string; name: string; regionId: string; timeZone: string }[] = [
  {
    id: 'mn-minneapolis',
    name: 'Minneapolis, MN',
    regionId: 'upper-midwest',
    timeZone: 'America/Chicago',
  },
  {
    id: 'mn-st-paul',
    name: 'St. Paul, MN',
    regionId: 'upper-midwest',
    timeZone: 'America/Chicago',
  },
  { id: 'mn-duluth', name: 'Duluth, MN', regionId: 'upper-midwest', timeZone: 'America/Chicago' },
  {
    id: 'mn-rochester',
    name: 'Rochester, MN',
    regionId: 'upper-midwest',
    timeZone: 'America/Chicago',
  },
  {
    id: 'ny-brooklyn',
    name: 'Brooklyn, NY',
    regionId: 'new-york-city',
    timeZone: 'America/New_York',
  },
  { id: 'ny-queens', name: 'Queens, NY', regionId: 'new-york-city', timeZone: 'America/New_York' },
  {
    id: 'ny-bronx',
    name: 'The Bronx, NY',
    regionId: 'new-york-city',
    timeZone: 'America/New_York',
  },
  {
    id: 'ny-staten-island',
    name: 'Staten Island, NY',
    regionId: 'new-york-city',
    timeZone: 'America/New_York',
  },
  { id: 'il-chicago', name: 'Chicago, IL', regionId: 'central', timeZone: 'America/Chicago' },
  {
    id: 'mo-kansas-city',
    name: 'Kansas City, MO',
    regionId: 'central',
    timeZone: 'America/Chicago',
  },
  { id: 'tx-dallas', name: 'Dallas, TX', regionId: 'central', timeZone: 'America/Chicago' },
  { id: 'co-denver', name: 'Denver, CO', regionId: 'mountain-west', timeZone: 'America/Denver' },
  { id: 'az-phoenix', name: 'Phoenix, AZ', regionId: 'mountain-west', timeZone: 'America/Phoenix' },
  { id: 'ga-atlanta', name: 'Atlanta, GA', regionId: 'southeast', timeZone: 'America/New_York' },
  { id: 'fl-tampa', name: 'Tampa, FL', regionId: 'southeast', timeZone: 'America/New_York' },
  {
    id: 'wa-seattle',
    name: 'Seattle, WA',
    regionId: 'pacific-northwest',
    timeZone: 'America/Los_Angeles',
  },
  {
    id: 'or-portland',
    name: 'Portland, OR',
    regionId: 'pacific-northwest',
    timeZone: 'America/Los_Angeles',
  },
];

const SPECIALTIES = [
  'Billing Specialists',
  'Device Support',
  'International Roaming',
  'Business Accounts',
  'Retention',
];
const FIRST = [
  'Ana',
  'Ben',
  'Chloe',
  'Dev',
  'Elena',
  'Femi',
  'Grace',
  'Hugo',
  'Imani',
  'Jon',
  'Kai',
  'Lena',
  'Marco',
  'Nadia',
  'Owen',
  'Priya',
  'Quinn',
  'Rosa',
  'Sam',
  'Tariq',
  'Uma',
  'Victor',
  'Wen',
  'Yara',
  'Zoe',
];
const LAST = [
  'Olsen',
  'Garcia',
  'Nguyen',
  'Johnson',
  'Kowalski',
  'Haddad',
  'Lindqvist',
  'Okafor',
  'Rivera',
  'Chen',
  'Murphy',
  'Singh',
  'Berg',
  'Cohen',
  'Diaz',
  'Larsen',
];

/**
 * The demo organisation: 17 centers in 6 regions; per center two or three 24-hour
 * conventional care teams and one or two specialty teams open 7 am-9 pm local time,
 * each team of 30-40 agents.
 */
export function demoOrg(random: Random): Org {
  const teams: Team[] = [];
  const agents: Org['agents'] = [];
  for (const center of CENTERS) {
    const conventional = random.int(2, 3);
    const specialty = random.int(1, 2);
    const short = center.id.split('-').slice(1).join('-');
    for (let i = 1; i <= conventional; i++) {
      teams.push({
        id: `${short}-care-${i}`,
        name: `${center.name.split(',')[0]} Care ${i}`,
        centerId: center.id,
        specialty: false,
        hours: { kind: 'always' },
      });
    }
    for (let i = 1; i <= specialty; i++) {
      const name = random.pick(SPECIALTIES);
      teams.push({
        id: `${short}-${name.toLowerCase().split(' ')[0]}-${i}`,
        name: `${center.name.split(',')[0]} ${name}`,
        centerId: center.id,
        specialty: true,
        hours: { kind: 'daily', open: '07:00', close: '21:00' },
      });
    }
  }
  for (const team of teams) {
    const size = random.int(30, 40);
    for (let i = 1; i <= size; i++) {
      agents.push({
        id: `${team.id}-a${String(i).padStart(2, '0')}`,
        name: `${random.pick(FIRST)} ${random.pick(LAST)}`,
        teamId: team.id,
      });
    }
  }
  return { regions: REGIONS, centers: CENTERS, teams, agents };
}
