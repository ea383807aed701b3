import { useState } from 'react';
import { initialTab, Tabs } from '../../../components/tabs';
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

type AdminTab = (typeof TABS)[number][0];

/** Admins: who may sign in and with what roles, telephony credentials, the audit trail. */
export function AdminPage() {
  const [tab, setTab] = useState<AdminTab>(() => initialTab(TABS, 'users'));
  const health = useHealth();
  return (
    <section className="admin" aria-label="Admin">
      {health.data && health.data.status !== 'ok' && (
        <div className="notice health-notice" role="alert">
          <strong>Server {health.data.status}:</strong> {(health.data.reasons ?? []).join('; ')}
        </div>
      )}
      <Tabs<AdminTab> tabs={TABS} value={tab} onChange={setTab} panelId="admin-tabpanel">
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
      </Tabs>
    </section>
  );
}
