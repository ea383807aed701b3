import type { Call, Org } from '@earshot/shared';
import { useMemo } from 'react';
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

/** Filters (center, region, team, agent), search and sort for the live board. */
export function BoardToolbar({ filter, onChange, org, calls, shown }: Props) {
  const set = (patch: Partial<BoardFilter>) => onChange({ ...filter, ...patch });
  const options = useMemo(() => {
    const name = (list: { id: string; name: string }[] | undefined, id: string) =>
      list?.find((x) => x.id === id)?.name ?? id;
    const unique = (key: (c: Call) => string, label: (id: string) => string) =>
      [...new Set(calls.map(key))].sort().map((id) => [id, label(id)] as [string, string]);
    return {
      regions: unique(
        (c) => c.region,
        (id) => name(org?.regions, id),
      ),
      centers: unique(
        (c) => c.center,
        (id) => name(org?.centers, id),
      ),
      teams: unique(
        (c) => c.team,
        (id) => name(org?.teams, id),
      ),
      agents: [...new Map(calls.map((c) => [c.agent.id, c.agent.name])).entries()].sort((a, b) =>
        a[1].localeCompare(b[1]),
      ),
    };
  }, [calls, org]);
  return (
    <div className="toolbar" role="search">
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
      <Select
        label="Region"
        value={filter.region}
        options={options.regions}
        onChange={(region) => set({ region })}
      />
      <Select
        label="Center"
        value={filter.center}
        options={options.centers}
        onChange={(center) => set({ center })}
      />
      <Select
        label="Team"
        value={filter.team}
        options={options.teams}
        onChange={(team) => set({ team })}
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
