import type { Call, Org } from '@earshot/shared';
import { useMemo, useState } from 'react';
import { byName, centersInScope, teamsInScope } from '../../../lib/scope';
import { useMe } from '../../../lib/session';
import type { BoardFilter } from '../filter';

interface Props {
  filter: BoardFilter;
  onChange(filter: BoardFilter): void;
  org: Org | undefined;
  calls: Call[];
  shown: number;
}

function Select({
  label,
  value,
  options,
  onChange,
}: {
  label: string;
  value: string;
  options: [string, string][];
  onChange(v: string): void;
}) {
  return (
    <label className="field">
      <span>{label}</span>
      <select value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">All</option>
        {options.map(([id, name]) => (
          <option key={id} value={id}>
            {name}
          </option>
        ))}
      </select>
    </label>
  );
}

/**
 * Filters (region, center, team, agent), search and sort for the live board. The places
 * are every one in the user's scope (with how many calls are live there), each menu
 * narrowed by the ones before it; agents are those on a live call there.
 */
export function BoardToolbar({ filter, onChange, org, calls, shown }: Props) {
  const me = useMe().data;
  // On a phone the place filters fold away behind one button.
  const [open, setOpen] = useState(false);
  const chosen = [filter.region, filter.center, filter.team, filter.agent].filter(Boolean).length;
  const set = (patch: Partial<BoardFilter>) => onChange({ ...filter, ...patch });
  const options = useMemo(() => {
    const teams = teamsInScope(me, org);
    const centerOf = new Map(org?.centers.map((c) => [c.id, c]) ?? []);
    const live = (key: (c: Call) => string) => {
      const count = new Map<string, number>();
      for (const c of calls) count.set(key(c), (count.get(key(c)) ?? 0) + 1);
      return (id: string) => (count.get(id) ? ` (${count.get(id)} live)` : '');
    };
    const liveIn = {
      region: live((c) => c.region),
      center: live((c) => c.center),
      team: live((c) => c.team),
    };
    const centers = centersInScope(org, teams).filter(
      (c) => !filter.region || c.regionId === filter.region,
    );
    const regionIds = new Set(centersInScope(org, teams).map((c) => c.regionId));
    const shownTeams = teams.filter((t) => {
      const center = centerOf.get(t.centerId);
      return (
        (!filter.center || t.centerId === filter.center) &&
        (!filter.region || center?.regionId === filter.region)
      );
    });
    const teamIds = new Set(shownTeams.map((t) => t.id));
    return {
      regions: (org?.regions ?? [])
        .filter((r) => regionIds.has(r.id))
        .sort(byName)
        .map((r) => [r.id, `${r.name}${liveIn.region(r.id)}`] as [string, string]),
      centers: centers
        .sort(byName)
        .map((c) => [c.id, `${c.name}${liveIn.center(c.id)}`] as [string, string]),
      teams: shownTeams
        .sort(byName)
        .map(
          (t) =>
            [
              t.id,
              `${t.name}${filter.center ? '' : ` · ${centerOf.get(t.centerId)?.name ?? t.centerId}`}${liveIn.team(t.id)}`,
            ] as [string, string],
        ),
      agents: [
        ...new Map(
          calls.filter((c) => teamIds.has(c.team)).map((c) => [c.agent.id, c.agent.name]),
        ).entries(),
      ].sort((a, b) => a[1].localeCompare(b[1])),
    };
  }, [calls, org, me, filter.region, filter.center]);
  return (
    <div className="toolbar board-toolbar" role="search" data-open={open}>
      <label className="field search">
        <span>Search</span>
        <input
          type="search"
          placeholder="Agent or call id"
          value={filter.search}
          onChange={(e) => set({ search: e.target.value })}
          aria-label="Search by agent or call id"
        />
      </label>
      <button
        type="button"
        className="phone-only filters-toggle"
        aria-expanded={open}
        onClick={() => setOpen((o) => !o)}
      >
        Filters{chosen ? ` (${chosen})` : ''}
      </button>
      <Select
        label="Region"
        value={filter.region}
        options={options.regions}
        onChange={(region) => set({ region, center: '', team: '', agent: '' })}
      />
      <Select
        label="Center"
        value={filter.center}
        options={options.centers}
        onChange={(center) => set({ center, team: '', agent: '' })}
      />
      <Select
        label="Team"
        value={filter.team}
        options={options.teams}
        onChange={(team) => set({ team, agent: '' })}
      />
      <Select
        label="Agent"
        value={filter.agent}
        options={options.agents}
        onChange={(agent) => set({ agent })}
      />
      <button
        type="button"
        className="ghost"
        onClick={() => set({ sort: filter.sort === 'longest' ? 'shortest' : 'longest' })}
        aria-label={`Sort by duration, ${filter.sort === 'longest' ? 'longest' : 'shortest'} first`}
      >
        Duration {filter.sort === 'longest' ? '↓' : '↑'}
      </button>
      <span className="count" aria-live="polite">
        {shown === calls.length ? `${calls.length} live` : `${shown} of ${calls.length} live`}
      </span>
    </div>
  );
}
