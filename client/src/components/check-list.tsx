import { useState } from 'react';

export interface CheckGroup {
  label: string;
  options: { id: string; name: string }[];
}

/**
 * Several choices among many (65 teams): a search box over checkboxes in groups, with
 * what is chosen counted; a group's heading chooses or clears all of it.
 */
export function CheckList({
  label,
  groups,
  value,
  onChange,
}: {
  label: string;
  groups: CheckGroup[];
  value: string[];
  onChange(next: string[]): void;
}) {
  const [search, setSearch] = useState('');
  const chosen = new Set(value);
  const wanted = search.trim().toLowerCase();
  const shown = groups
    .map((g) => ({
      ...g,
      options: g.label.toLowerCase().includes(wanted)
        ? g.options
        : g.options.filter((o) => o.name.toLowerCase().includes(wanted)),
    }))
    .filter((g) => g.options.length > 0);
  const set = (ids: string[], on: boolean) => {
    const next = new Set(chosen);
    for (const id of ids) {
      if (on) next.add(id);
      else next.delete(id);
    }
    onChange([...next]);
  };
  return (
    <div className="check-list" role="group" aria-label={label}>
      <input
        type="search"
        placeholder={`Search ${label.toLowerCase()}`}
        value={search}
        onChange={(e) => setSearch(e.target.value)}
        aria-label={`Search ${label.toLowerCase()}`}
      />
      <span className="muted">{value.length} chosen</span>
      <div className="check-list-options">
        {shown.map((g) => {
          const ids = g.options.map((o) => o.id);
          const all = ids.every((id) => chosen.has(id));
          return (
            <fieldset key={g.label}>
              <legend>
                <label>
                  <input type="checkbox" checked={all} onChange={() => set(ids, !all)} /> {g.label}
                </label>
              </legend>
              {g.options.map((o) => (
                <label key={o.id}>
                  <input
                    type="checkbox"
                    checked={chosen.has(o.id)}
                    onChange={(e) => set([o.id], e.target.checked)}
                  />{' '}
                  {o.name}
                </label>
              ))}
            </fieldset>
          );
        })}
      </div>
    </div>
  );
}
