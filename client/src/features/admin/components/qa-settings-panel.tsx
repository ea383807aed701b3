import type { QaSettings } from '@earshot/shared';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { FormError } from '../../../components/form-error';
import { setQaSettings, useQaSettings } from '../../../lib/evaluations-api';

/** How long after an evaluation, and how often, an agent may dispute it. */
export function QaSettingsPanel() {
  const settings = useQaSettings();
  if (!settings.data) return <p className="muted">Loading…</p>;
  return <SettingsForm initial={settings.data} />;
}

function SettingsForm({ initial }: { initial: QaSettings }) {
  const client = useQueryClient();
  const [draft, setDraft] = useState(initial);
  const [error, setError] = useState<string>();
  const [saved, setSaved] = useState(false);
  return (
    <div className="admin-panel">
      <div className="admin-head">
        <h2>Quality</h2>
      </div>
      <form
        className="plan-form"
        onSubmit={(e) => {
          e.preventDefault();
          setError(undefined);
          setSaved(false);
          setQaSettings(client, draft).then(
            () => setSaved(true),
            (err: Error) => setError(err.message),
          );
        }}
      >
        <p className="muted">
          An agent may dispute an evaluation of their call within this many days of its submission,
          and at most this many times per evaluation (0: never).
        </p>
        <div className="builder-row">
          <label className="field inline">
            <span>Days to dispute</span>
            <input
              type="number"
              min={0}
              max={90}
              value={draft.disputeWindowDays}
              onChange={(e) => setDraft({ ...draft, disputeWindowDays: Number(e.target.value) })}
            />
          </label>
          <label className="field inline">
            <span>Disputes per evaluation</span>
            <input
              type="number"
              min={0}
              max={10}
              value={draft.maxDisputes}
              onChange={(e) => setDraft({ ...draft, maxDisputes: Number(e.target.value) })}
            />
          </label>
          <button type="submit" className="primary">
            Save
          </button>
        </div>
        <FormError error={error} />
        {saved && <p role="status">Saved.</p>}
      </form>
    </div>
  );
}
