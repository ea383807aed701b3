import { useState } from 'react';
import { useHealth } from '../api/admin-api';
import { AuditPanel } from './audit-panel';
import { QaSettingsPanel } from './qa-settings-panel';
import { StreamsPanel } from './streams-panel';
import { TelephonyPanel } from './telephony-panel';
import { TokensPanel } from './tokens-panel';
import { UsersPanel } from './users-panel';

const TABS = [
  ['users', 'People'],
  ['tokens', 'Ingest tokens'],
  ['telephony', 'Telephony'],
  ['streams', 'Cloud streams'],
  ['quality', 'Quality'],
  ['audit', 'Audit trail'],
] as const;

/** Admins: who may sign in and with what roles, telephony credentials, the audit trail. */
export function AdminPage() {
  const [tab, setTab] = useState<(typeof TABS)[number][0]>(
    () => TABS.find(([id]) => `#${id}` === window.location.hash)?.[0] ?? 'users',
  );
  const health = useHealth();
  return (
    <section className="admin" aria-label="Admin">
      {health.data && health.data.status !== 'ok' && (
        <div className="notice health-notice" role="alert">
          <strong>Server {health.data.status}:</strong> {(health.data.reasons ?? []).join('; ')}
        </div>
      )}
      <div className="segmented admin-tabs" role="tablist">
        {TABS.map(([id, label]) => (
          <button
            key={id}
            type="button"
            role="tab"
            id={`tab-${id}`}
            aria-controls="admin-tabpanel"
            aria-selected={tab === id}
            onClick={() => {
              setTab(id);
              window.history.replaceState(null, '', `#${id}`);
            }}
          >
            {label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id="admin-tabpanel" aria-labelledby={`tab-${tab}`}>
        {tab === 'users' ? (
          <UsersPanel />
        ) : tab === 'tokens' ? (
          <TokensPanel />
        ) : tab === 'telephony' ? (
          <TelephonyPanel />
        ) : tab === 'streams' ? (
          <StreamsPanel />
        ) : tab === 'quality' ? (
          <QaSettingsPanel />
        ) : (
          <AuditPanel />
        )}
      </div>
    </section>
  );
}
