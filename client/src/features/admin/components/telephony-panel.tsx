import type { Call, Org } from '@earshot/shared';
import { useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { useOrg } from '../../../lib/org-api';
import { addPeer, assignCall, removePeer, useSiprec, useUnmatched } from '../api/admin-api';
import { FormError } from '../../../components/form-error';

const when = (at: string) => new Date(at).toLocaleString();

/** SIPREC: where Earshot listens, who may send to it, and calls no agent matched. */
export function TelephonyPanel() {
  const status = useSiprec();
  const client = useQueryClient();
  const [cidr, setCidr] = useState('');
  const [label, setLabel] = useState('');
  const [error, setError] = useState<string>();
  const add = async (event: React.FormEvent) => {
    event.preventDefault();
    setError(undefined);
    try {
      await addPeer(client, cidr.trim(), label.trim());
      setCidr('');
      setLabel('');
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  const s = status.data;
  return (
    <div className="admin-panel">
      <div className="admin-head">
        <h2>SIPREC</h2>
        <span className="muted">
          {s?.enabled
            ? `Listening on ${s.listen.map((l) => `${l.transport.toUpperCase()} ${l.host}:${l.port}`).join(', ')} · ${s.sessions} recording session${s.sessions === 1 ? '' : 's'} now`
            : 'Off: set EARSHOT_SIPREC_LISTEN (e.g. udp:0.0.0.0:5060,tcp:0.0.0.0:5060) to turn it on. The allowed peers below are kept for then.'}
        </span>
      </div>
      <h3>Allowed peers</h3>
      <p className="muted">
        SBCs and PBXs that may send recording sessions. Anything else is refused with 403 and
        recorded in the audit trail.
      </p>
      <form className="inline-form" onSubmit={(e) => void add(e)}>
        <input
          aria-label="Address or range"
          placeholder="192.0.2.10 or 192.0.2.0/24"
          value={cidr}
          onChange={(e) => setCidr(e.target.value)}
        />
        <input
          aria-label="Peer name"
          placeholder="What it is, e.g. CUBE Minneapolis"
          value={label}
          onChange={(e) => setLabel(e.target.value)}
        />
        <button type="submit" className="primary" disabled={!cidr.trim() || !label.trim()}>
          Allow
        </button>
      </form>
      <FormError error={error} />
      <table className="review-table">
        <thead>
          <tr>
            <th>Address or range</th>
            <th>Name</th>
            <th>Added</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {s?.peers.map((p) => (
            <tr key={p.id}>
              <td className="mono">{p.cidr}</td>
              <td>{p.label}</td>
              <td>
                {when(p.createdAt)} <span className="muted">by {p.createdBy}</span>
              </td>
              <td className="row-actions">
                <button
                  type="button"
                  className="danger"
                  onClick={() => {
                    if (window.confirm(`Stop accepting SIPREC from ${p.cidr}?`))
                      removePeer(client, p.id).catch((e: Error) => setError(e.message));
                  }}
                >
                  Remove
                </button>
              </td>
            </tr>
          ))}
          {s?.peers.length === 0 && (
            <tr>
              <td colSpan={4} className="muted">
                No peer is allowed yet: every INVITE is refused.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      <UnmatchedCalls />
    </div>
  );
}

/** Live calls whose parties matched no agent: shown with their addresses, to be assigned. */
function UnmatchedCalls() {
  const unmatched = useUnmatched();
  const org = useOrg();
  return (
    <>
      <h3>Unmatched calls</h3>
      <p className="muted">
        Tapped and recorded, but no agent&apos;s addresses (set in the organisation) matched a
        party. Assign the agent: the call moves to their team&apos;s board.
      </p>
      <table className="review-table">
        <thead>
          <tr>
            <th>Started</th>
            <th>Parties</th>
            <th>Agent</th>
          </tr>
        </thead>
        <tbody>
          {unmatched.data?.map((call) => (
            <UnmatchedRow key={call.id} call={call} org={org.data} />
          ))}
          {unmatched.data?.length === 0 && (
            <tr>
              <td colSpan={3} className="muted">
                None: every live call has its agent.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </>
  );
}

function UnmatchedRow({ call, org }: { call: Call; org: Org | undefined }) {
  const client = useQueryClient();
  const [agentId, setAgentId] = useState('');
  const [error, setError] = useState<string>();
  const [filter, setFilter] = useState('');
  const agents = useMemo(() => {
    const f = filter.trim().toLowerCase();
    const teams = new Map(org?.teams.map((t) => [t.id, t.name]));
    return (org?.agents ?? [])
      .filter((a) => !f || a.name.toLowerCase().includes(f) || a.id.toLowerCase().includes(f))
      .slice(0, 200)
      .map((a) => ({ ...a, team: teams.get(a.teamId) ?? a.teamId }));
  }, [org, filter]);
  return (
    <tr>
      <td>{when(call.startedAt)}</td>
      <td>
        {call.participants.length === 0 ? (
          <span className="muted">no addresses given</span>
        ) : (
          <ul className="plain-list">
            {call.participants.map((p) => (
              <li key={p.aor}>
                <span className="mono">{p.aor}</span>
                {p.name ? ` (${p.name})` : ''}
                {p.leg ? <span className="muted"> · {p.leg} leg</span> : null}
              </li>
            ))}
          </ul>
        )}
      </td>
      <td>
        <form
          className="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            setError(undefined);
            assignCall(client, call.id, agentId).catch((x: Error) => setError(x.message));
          }}
        >
          <input
            aria-label="Find an agent"
            placeholder="Find an agent"
            value={filter}
            onChange={(e) => setFilter(e.target.value)}
          />
          <select aria-label="Agent" value={agentId} onChange={(e) => setAgentId(e.target.value)}>
            <option value="">Choose…</option>
            {agents.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name} · {a.team}
              </option>
            ))}
          </select>
          <button type="submit" className="primary" disabled={!agentId}>
            Assign
          </button>
        </form>
        <FormError error={error} />
      </td>
    </tr>
  );
}
