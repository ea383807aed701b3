import { useState } from 'react';

/** Asks a listener's name once per browser, so that others see who is listening. */
export function NameDialog({
  onSubmit,
  onCancel,
}: {
  onSubmit(name: string): void;
  onCancel(): void;
}) {
  const [name, setName] = useState('');
  const trimmed = name.trim();
  return (
    <div className="backdrop">
      <form
        className="dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby="name-title"
        onSubmit={(e) => {
          e.preventDefault();
          if (trimmed) onSubmit(trimmed);
        }}
        onKeyDown={(e) => e.key === 'Escape' && onCancel()}
      >
        <h2 id="name-title">Who is listening?</h2>
        <p className="muted">
          Other supervisors on the call see this name. The people on the call never do.
        </p>
        <input
          autoFocus
          value={name}
          maxLength={60}
          onChange={(e) => setName(e.target.value)}
          aria-label="Your name"
          placeholder="Your name"
        />
        <div className="dialog-actions">
          <button type="button" className="ghost" onClick={onCancel}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={!trimmed}>
            Start listening
          </button>
        </div>
      </form>
    </div>
  );
}
