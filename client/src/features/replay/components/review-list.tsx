import { useState } from 'react';
import { navigate } from '../../../lib/router';
import { EMPTY_REVIEW_FILTER, useReviewList, type ReviewFilter } from '../api/review';

/** Recorded calls to review, newest flag first, with filters. */
export function ReviewList() {
  const [filter, setFilter] = useState<ReviewFilter>(EMPTY_REVIEW_FILTER);
  const list = useReviewList(filter);
  const set = (patch: Partial<ReviewFilter>) => setFilter((f) => ({ ...f, ...patch }));
  const text = (key: 'center' | 'team' | 'agent' | 'label', label: string) => (
    <label className="field">
      <span>{label}</span>
      <input
        value={filter[key]}
        onChange={(e) => set({ [key]: e.target.value.trim() })}
        aria-label={`Filter by ${label.toLowerCase()}`}
      />
    </label>
  );
  return (
    <section className="review" aria-label="Recordings to review">
      <div className="toolbar">
        <label className="field">
          <span>From</span>
          <input type="date" value={filter.from} onChange={(e) => set({ from: e.target.value })} />
        </label>
        <label className="field">
          <span>To</span>
          <input type="date" value={filter.to} onChange={(e) => set({ to: e.target.value })} />
        </label>
        {text('center', 'Center')}
        {text('team', 'Team')}
        {text('agent', 'Agent')}
        {text('label', 'Label')}
        <label className="field">
          <span>Reviewed</span>
          <select
            value={filter.reviewed}
            onChange={(e) => set({ reviewed: e.target.value as ReviewFilter['reviewed'] })}
          >
            <option value="">All</option>
            <option value="false">Not yet</option>
            <option value="true">Reviewed</option>
          </select>
        </label>
      </div>
      {list.isPending ? (
        <p className="empty">Loading recordings…</p>
      ) : list.isError ? (
        <p className="empty error">Could not load recordings: {list.error.message}</p>
      ) : list.data.length === 0 ? (
        <p className="empty">No recorded call matches. Calls appear here once they end.</p>
      ) : (
        <table className="review-table">
          <thead>
            <tr>
              <th>Started</th>
              <th>Center</th>
              <th>Team</th>
              <th>Agent</th>
              <th>Tags</th>
              <th>Last flag</th>
              <th>Reviewed</th>
            </tr>
          </thead>
          <tbody>
            {list.data.map((item) => (
              <tr
                key={item.callId}
                data-call-id={item.callId}
                onClick={() => navigate(`/review/${item.callId}`)}
                tabIndex={0}
                onKeyDown={(e) => e.key === 'Enter' && navigate(`/review/${item.callId}`)}
              >
                <td>{new Date(item.startedAt).toLocaleString()}</td>
                <td>{item.center}</td>
                <td>{item.team}</td>
                <td>{item.agent.name}</td>
                <td>
                  {item.labels.map((l) => (
                    <span key={l} className={`chip label-${l}`}>
                      {l}
                    </span>
                  ))}{' '}
                  <span className="muted">{item.tagCount || ''}</span>
                </td>
                <td>{item.lastTagAt ? new Date(item.lastTagAt).toLocaleString() : '—'}</td>
                <td>{item.reviewedBy ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
