import type { Call } from '@earshot/shared';

export interface BoardFilter {
  center: string;
  region: string;
  team: string;
  /** Agent id, or '' for all. */
  agent: string;
  /** Matches an agent's name or id, or a call id (or external id), case-insensitively. */
  search: string;
  /** Longest calls first, or shortest first. */
  sort: 'longest' | 'shortest';
}

export const EMPTY_FILTER: BoardFilter = {
  center: '',
  region: '',
  team: '',
  agent: '',
  search: '',
  sort: 'longest',
};

/** The calls the board shows for `filter`, in its order. */
export function filterCalls(calls: Iterable<Call>, filter: BoardFilter): Call[] {
  const needle = filter.search.trim().toLowerCase();
  const shown = [...calls].filter(
    (c) =>
      (!filter.center || c.center === filter.center) &&
      (!filter.region || c.region === filter.region) &&
      (!filter.team || c.team === filter.team) &&
      (!filter.agent || c.agent.id === filter.agent) &&
      (!needle ||
        c.agent.name.toLowerCase().includes(needle) ||
        c.agent.id.toLowerCase().includes(needle) ||
        c.id.toLowerCase().startsWith(needle) ||
        (c.externalId?.toLowerCase().includes(needle) ?? false)),
  );
  // startedAt is ISO 8601: string order is time order.
  shown.sort((a, b) =>
    filter.sort === 'longest'
      ? a.startedAt.localeCompare(b.startedAt)
      : b.startedAt.localeCompare(a.startedAt),
  );
  return shown;
}
