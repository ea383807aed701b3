// The region, center and team choices of a place picker, named as the console names them.
interface Named {
  id: string;
  name: string;
}

/** `<option>`s for `region:<id>`, `center:<id>` and `team:<id>`, in the order given. */
export function PlaceOptions({
  regions,
  centers,
  teams,
}: {
  regions: readonly Named[];
  centers: readonly Named[];
  teams: readonly Named[];
}) {
  return (
    <>
      {regions.map((r) => (
        <option key={r.id} value={`region:${r.id}`}>
          Region {r.name}
        </option>
      ))}
      {centers.map((c) => (
        <option key={c.id} value={`center:${c.id}`}>
          Center {c.name}
        </option>
      ))}
      {teams.map((t) => (
        <option key={t.id} value={`team:${t.id}`}>
          Team {t.name}
        </option>
      ))}
    </>
  );
}
