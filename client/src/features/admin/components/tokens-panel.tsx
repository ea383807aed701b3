import type { CreatedIngestToken } from '@earshot/shared';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { createToken, revokeToken, useTokens } from '../api/admin-api';
import { FormError } from '../../../components/form-error';
import { ShownOnce } from './shown-once';

const when = (at: string | null) => (at ? new Date(at).toLocaleString() : '—');

/** Credentials telephony integrations use to announce calls and post events. */
export function TokensPanel() {
  const tokens = useTokens();
  const client = useQueryClient();
  const [name, setName] = useState('');
  const [made, setMade] = useState<CreatedIngestToken>();
  const [error, setError] = useState<string>();
  const create = async (event: React.FormEvent) => {
    event.preventDefault();
    setError(undefined);
    try {
      setMade(await createToken(client, name.trim()));
      setName('');
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <div className="admin-panel">
      <div className="admin-head">
        <h2>Ingest tokens</h2>
        <span className="muted">
          For SBCs and ACDs: they may announce calls, post events and reported figures, and nothing
          else. Only a hash is kept.
        </span>
      </div>
      <form className="inline-form" onSubmit={(e) => void create(e)}>
        <input
          aria-label="Token name"
          placeholder="What uses it, e.g. SBC Minneapolis"
          value={name}
          onChange={(e) => setName(e.target.value)}
        />
        <button type="submit" className="primary" disabled={!name.trim()}>
          Create token
        </button>
      </form>
      <FormError error={error} />
      {made && (
        <ShownOnce
          name={made.name}
          secrets={[{ value: made.token }]}
          onDone={() => setMade(undefined)}
        />
      )}
      <table className="review-table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Starts with</th>
            <th>Created</th>
            <th>Last used</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {tokens.data?.map((t) => (
            <tr key={t.id} className={t.revokedAt ? 'revoked' : undefined}>
              <td>{t.name}</td>
              <td className="mono">{t.prefix}…</td>
              <td>
                {when(t.createdAt)} <span className="muted">by {t.createdBy}</span>
              </td>
              <td>{when(t.lastUsedAt)}</td>
              <td className="row-actions">
                {t.revokedAt ? (
                  <span className="muted">revoked {when(t.revokedAt)}</span>
                ) : (
                  <button
                    type="button"
                    className="danger"
                    onClick={() => {
                      if (window.confirm(`Revoke "${t.name}"? It stops working at once.`))
                        revokeToken(client, t.id).catch((e: Error) => setError(e.message));
                    }}
                  >
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
          {tokens.data?.length === 0 && (
            <tr>
              <td colSpan={5} className="muted">
                No tokens yet.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}
