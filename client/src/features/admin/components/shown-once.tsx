/** Credentials just made, shown this once with a copy button each, until Done. */
export function ShownOnce({
  name,
  secrets,
  onDone,
}: {
  name: string;
  secrets: { label?: string; value: string }[];
  onDone: () => void;
}) {
  return (
    <div className="notice token-secret" role="status">
      <p>
        <strong>{name}</strong>: copy {secrets.length > 1 ? 'them' : 'it'} now;{' '}
        {secrets.length > 1 ? 'they are' : 'it is'} not shown again.
      </p>
      {secrets.map(({ label, value }) => (
        <p key={value}>
          {label ? `${label} ` : null}
          <code className="mono">{value}</code>{' '}
          <button type="button" onClick={() => void navigator.clipboard?.writeText(value)}>
            Copy
          </button>
        </p>
      ))}
      <button type="button" className="ghost" onClick={onDone}>
        Done
      </button>
    </div>
  );
}
