import { AUDIT_ACTIONS, type AuditRecord } from '@earshot/shared';
import { useState } from 'react';
import { auditSearch, useAudit, verifyAudit, type AuditFilter } from '../api/admin-api';

const EMPTY: AuditFilter = { actor: '', action: '', target: '', from: '', to: '' };

/** The details of a record, readable in one line. */
function describe(record: AuditRecord): string {
  const d = record.details;
  const parts: string[] = [];
  if (typeof d.listenedMs === 'number') parts.push(`listened ${Math.round(d.listenedMs / 1000)} s`);
  if (typeof d.team === 'string') parts.push(`team ${d.team}`);
  if (typeof d.reason === 'string') parts.push(d.reason.replace('_', ' '));
  if (typeof d.address === 'string') parts.push(`from ${d.address}`);
  if (typeof d.fromMs === 'number') parts.push(`segment ${d.fromMs}-${String(d.toMs)} ms`);
  if (typeof d.label === 'string') parts.push(`label ${d.label}`);
  if (typeof d.username === 'string') parts.push(`user ${d.username}`);
  if (typeof d.name === 'string') parts.push(`"${d.name}"`);
  if (Array.isArray(d.roles))
    parts.push(`roles ${d.roles.map((r: { role: string }) => r.role).join(', ')}`);
  return parts.join(' · ');
}

/** Browse, filter and export the audit trail; check that its chain is whole. */
export function AuditPanel() {
  const [draft, setDraft] = useState(EMPTY);
  const [filter, setFilter] = useState(EMPTY);
  const [pages, setPages] = useState<number[]>([]);
  const before = pages.at(-1);
  const audit = useAudit(filter, before);
  const [verdict, setVerdict] = useState<string>();
  const field = (key: keyof AuditFilter, label: string, type = 'text') => (
    <label className="form-field">
      {label}
      <input
        type={type}
        value={draft[key]}
        onChange={(e) => setDraft({ ...draft, [key]: e.target.value })}
      />
    </label>
  );
  return (
    <div className="admin-panel">
      <div className="admin-head">
        <h2>Audit trail</h2>
        <span className="spacer" />
        <button
          type="button"
          onClick={() =>
            void verifyAudit().then(
              (r) =>
                setVerdict(
                  r.ok
                    ? `Chain intact: ${r.records} records`
                    : `Chain broken at record ${r.brokenAt}`,
                ),
              (e: Error) => setVerdict(e.message),
            )
          }
        >
          Verify chain
        </button>
        <a
          className="button"
          href={`/api/v1/audit?${auditSearch(filter, { format: 'csv', limit: '10000' })}`}
          download
        >
          Export CSV
        </a>
      </div>
      {verdict && (
        <p className={verdict.startsWith('Chain intact') ? 'notice' : 'form-error'} role="status">
          {verdict}
        </p>
      )}
      <form
        className="audit-filter"
        aria-label="Filter the audit trail"
        onSubmit={(e) => {
          e.preventDefault();
          setFilter(draft);
          setPages([]);
        }}
      >
        {field('actor', 'Who (name or id)')}
        <label className="form-field">
          Action
          <select
            value={draft.action}
            onChange={(e) => setDraft({ ...draft, action: e.target.value })}
          >
            <option value="">any</option>
            <option value="listen.start,listen.stop,listen.denied">listening (all)</option>
            <option value="auth.login,auth.login_failed,auth.logout">sign-in (all)</option>
            {AUDIT_ACTIONS.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </label>
        {field('target', 'Target (call, tag, user id)')}
        {field('from', 'From', 'datetime-local')}
        {field('to', 'To', 'datetime-local')}
        <button type="submit" className="primary">
          Filter
        </button>
        <button
          type="button"
          className="ghost"
          onClick={() => {
            setDraft(EMPTY);
            setFilter(EMPTY);
            setPages([]);
          }}
        >
          Clear
        </button>
      </form>
      {audit.isError ? (
        <p className="form-error">{audit.error.message}</p>
      ) : (
        <table className="review-table audit-table" aria-label="Audit records">
          <thead>
            <tr>
              <th>#</th>
              <th>When</th>
              <th>Who</th>
              <th>Action</th>
              <th>Target</th>
              <th>Details</th>
            </tr>
          </thead>
          <tbody>
            {audit.data?.map((r) => (
              <tr key={r.seq} className={`audit-${r.action.replace('.', '-')}`}>
                <td className="mono muted">{r.seq}</td>
                <td>{new Date(r.at).toLocaleString()}</td>
                <td>{r.actor.name}</td>
                <td>
                  <span
                    className={`badge ${r.action.endsWith('denied') || r.action.endsWith('failed') ? 'badge-bad' : ''}`}
                  >
                    {r.action}
                  </span>
                </td>
                <td className="mono" title={r.target ?? ''}>
                  {r.target ? r.target.slice(0, 8) : '—'}
                </td>
                <td>{describe(r)}</td>
              </tr>
            ))}
            {audit.data?.length === 0 && (
              <tr>
                <td colSpan={6} className="muted">
                  No records match.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      )}
      <div className="pager">
        <button
          type="button"
          disabled={pages.length === 0}
          onClick={() => setPages(pages.slice(0, -1))}
        >
          Newer
        </button>
        <button
          type="button"
          disabled={!audit.data || audit.data.length < 100}
          onClick={() => setPages([...pages, audit.data!.at(-1)!.seq])}
        >
          Older
        </button>
      </div>
    </div>
  );
}
