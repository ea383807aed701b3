import type { ObservationRequest } from '@earshot/shared';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { FormError } from '../../../components/form-error';
import { apiFetch } from '../../../lib/api-fetch';

const RESOLVED = [
  ['yes', 'Resolved', 'y'],
  ['no', 'Not resolved', 'n'],
  ['unsure', 'Unsure', 'u'],
] as const;
const MOODS = [
  ['positive', 'Positive', '+'],
  ['neutral', 'Neutral', '0'],
  ['negative', 'Negative', '-'],
] as const;

/**
 * The gist of a call as heard, in a few keystrokes: its reason (1-9), resolved (y/n/u),
 * the customer's mood (+/0/-), "the data looks wrong" (w), a note; Enter saves, Esc closes.
 */
export function ObservationForm({
  callId,
  title,
  onClose,
}: {
  callId: string;
  title: string;
  onClose(): void;
}) {
  const client = useQueryClient();
  const reasons = useQuery({
    queryKey: ['observation-reasons'],
    queryFn: () =>
      apiFetch<{ reasons: string[] }>('/api/v1/observation-reasons').then((r) => r.reasons),
    staleTime: 60_000,
  });
  const [draft, setDraft] = useState<ObservationRequest>({
    reason: '',
    resolved: 'unsure',
    mood: 'neutral',
    dataLooksWrong: false,
  });
  const [error, setError] = useState<string>();
  const list = reasons.data ?? [];
  const reason = draft.reason || list[0] || '';
  const save = async () => {
    if (!reason) return setError('choose a reason first (the list is still loading?)');
    setError(undefined);
    try {
      await apiFetch(`/api/v1/calls/${callId}/observations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...draft, reason }),
      });
      await client.invalidateQueries({ queryKey: ['observations'] });
      onClose();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  // The keys work wherever the focus is while the form is open (it opens on a keystroke).
  const latest = useRef({ list, save, onClose });
  useEffect(() => {
    latest.current = { list, save, onClose };
  });
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const { list: reasons, save: submit, onClose: close } = latest.current;
      if (e.key === 'Escape') return close();
      const target = e.target as HTMLElement | null;
      if (
        target?.tagName === 'TEXTAREA' ||
        (target?.tagName === 'INPUT' && (target as HTMLInputElement).type === 'text')
      )
        return;
      if (e.key === 'Enter') {
        e.preventDefault();
        void submit();
        return;
      }
      const n = Number(e.key);
      if (n >= 1 && n <= 9 && reasons[n - 1]) {
        e.preventDefault();
        setDraft((d) => ({ ...d, reason: reasons[n - 1]! }));
      }
      const resolved = RESOLVED.find(([, , key]) => key === e.key);
      if (resolved) setDraft((d) => ({ ...d, resolved: resolved[0] }));
      const mood = MOODS.find(([, , key]) => key === e.key);
      if (mood) setDraft((d) => ({ ...d, mood: mood[0] }));
      if (e.key === 'w') setDraft((d) => ({ ...d, dataLooksWrong: !d.dataLooksWrong }));
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, []);
  return (
    <div className="backdrop" role="presentation" onClick={onClose}>
      <form
        className="dialog observation-form"
        role="dialog"
        aria-label="Observation"
        onClick={(e) => e.stopPropagation()}
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <h2>What you heard: {title}</h2>
        <label className="form-field">
          Reason
          <select
            autoFocus
            value={reason}
            onChange={(e) => setDraft({ ...draft, reason: e.target.value })}
          >
            {list.map((r, i) => (
              <option key={r} value={r}>
                {i < 9 ? `${i + 1} · ` : ''}
                {r}
              </option>
            ))}
          </select>
        </label>
        <fieldset className="segmented" aria-label="Resolved">
          {RESOLVED.map(([value, label, key]) => (
            <button
              key={value}
              type="button"
              role="radio"
              aria-checked={draft.resolved === value}
              onClick={() => setDraft({ ...draft, resolved: value })}
            >
              {label} <kbd>{key}</kbd>
            </button>
          ))}
        </fieldset>
        <fieldset className="segmented" aria-label="Customer's mood">
          {MOODS.map(([value, label, key]) => (
            <button
              key={value}
              type="button"
              role="radio"
              aria-checked={draft.mood === value}
              onClick={() => setDraft({ ...draft, mood: value })}
            >
              {label} <kbd>{key}</kbd>
            </button>
          ))}
        </fieldset>
        <label>
          <input
            type="checkbox"
            checked={draft.dataLooksWrong}
            onChange={(e) => setDraft({ ...draft, dataLooksWrong: e.target.checked })}
          />{' '}
          The data looks wrong <kbd>w</kbd>
        </label>
        <textarea
          aria-label="Note"
          placeholder="A note (optional)"
          maxLength={2000}
          value={draft.note ?? ''}
          onChange={(e) => setDraft({ ...draft, note: e.target.value })}
        />
        <FormError error={error} />
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary">
            Save observation
          </button>
        </div>
      </form>
    </div>
  );
}
