interface Option {
  id: string;
  name: string;
}

/** A labelled menu of one choice (`placeholder`: a first, empty option). */
export function PickOne({
  label,
  options,
  value,
  onChange,
  placeholder,
  inline = false,
}: {
  label: string;
  options: readonly Option[];
  value: string;
  onChange(id: string): void;
  placeholder?: string;
  inline?: boolean;
}) {
  return (
    <label className={inline ? 'field inline' : 'field'}>
      <span>{label}</span>
      <select value={value} onChange={(e) => onChange(e.target.value)}>
        {placeholder !== undefined && <option value="">{placeholder}</option>}
        {options.map((o) => (
          <option key={o.id} value={o.id}>
            {o.name}
          </option>
        ))}
      </select>
    </label>
  );
}

/** A labelled list of several choices. */
export function PickMany({
  label,
  options,
  value,
  onChange,
  size = 4,
}: {
  label: string;
  options: readonly Option[];
  value: string[];
  onChange(ids: string[]): void;
  size?: number;
}) {
  return (
    <label className="field">
      <span>{label}</span>
      <select
        multiple
        size={size}
        value={value}
        onChange={(e) => onChange([...e.target.selectedOptions].map((o) => o.value))}
      >
        {options.map((o) => (
          <option key={o.id} value={o.id}>
            {o.name}
          </option>
        ))}
      </select>
    </label>
  );
}
