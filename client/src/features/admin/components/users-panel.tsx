import type { Role, RoleGrant, User } from '@earshot/shared';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useOrg } from '../../../lib/org-api';
import { deleteUser, saveUser, useUsers, type UserDraft } from '../api/admin-api';
import { CheckList } from '../../../components/check-list';
import { FormError } from '../../../components/form-error';

const ROLE_LABELS: Record<Role, string> = {
  admin: 'Admin',
  executive: 'Executive',
  teamLead: 'Team lead',
  qa: 'QA reviewer',
  agent: 'Agent',
};

/** One line per role: "Team lead of Minneapolis Care 1, Brooklyn Billing". */
function describeRole(grant: RoleGrant, names: Map<string, string>): string {
  if (grant.role === 'teamLead')
    return `Team lead of ${grant.teams.map((t) => names.get(t) ?? t).join(', ')}`;
  if (grant.role === 'qa')
    return `${grant.lead ? 'QA lead' : 'QA reviewer'} of ${
      grant.centers ? grant.centers.map((c) => names.get(c) ?? c).join(', ') : 'every center'
    }`;
  if (grant.role === 'agent') return `Agent ${names.get(grant.agent) ?? grant.agent}`;
  return ROLE_LABELS[grant.role];
}

/** People who may sign in, their roles and scope. */
export function UsersPanel() {
  const users = useUsers();
  const org = useOrg();
  const names = new Map<string, string>([
    ...(org.data?.teams.map((t) => [t.id, t.name] as const) ?? []),
    ...(org.data?.centers.map((c) => [c.id, c.name] as const) ?? []),
    ...(org.data?.agents.map((a) => [a.id, a.name] as const) ?? []),
  ]);
  const [editing, setEditing] = useState<User | 'new' | undefined>();
  const client = useQueryClient();
  const [error, setError] = useState<string>();
  return (
    <div className="admin-panel">
      <div className="admin-head">
        <h2>People</h2>
        <span className="spacer" />
        <button type="button" className="primary" onClick={() => setEditing('new')}>
          New user
        </button>
      </div>
      <FormError error={error} />
      {users.isPending ? (
        <p className="muted">Loading…</p>
      ) : users.isError ? (
        <p className="form-error">{users.error.message}</p>
      ) : (
        <table className="review-table">
          <thead>
            <tr>
              <th>User</th>
              <th>Roles</th>
              <th>Changed</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {users.data.map((u) => (
              <tr key={u.id}>
                <td>
                  <strong>{u.name}</strong> <span className="muted mono">{u.username}</span>
                  {u.demo && <span className="badge">demo</span>}
                </td>
                <td>
                  {u.roles.length === 0 ? (
                    <span className="muted">no role</span>
                  ) : (
                    u.roles.map((r) => <div key={r.role}>{describeRole(r, names)}</div>)
                  )}
                </td>
                <td className="muted">{new Date(u.updatedAt).toLocaleString()}</td>
                <td className="row-actions">
                  <button type="button" onClick={() => setEditing(u)}>
                    Edit
                  </button>
                  <button
                    type="button"
                    className="danger"
                    onClick={() => {
                      if (!window.confirm(`Remove ${u.username}? They are signed out at once.`))
                        return;
                      setError(undefined);
                      deleteUser(client, u.id).catch((e: Error) => setError(e.message));
                    }}
                  >
                    Remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {editing && (
        <UserDialog
          user={editing === 'new' ? undefined : editing}
          onClose={() => setEditing(undefined)}
        />
      )}
    </div>
  );
}

/** Creates a user, or changes one's name, password and roles. */
function UserDialog({ user, onClose }: { user: User | undefined; onClose: () => void }) {
  const org = useOrg();
  const client = useQueryClient();
  const [draft, setDraft] = useState<UserDraft>({
    username: user?.username ?? '',
    name: user?.name ?? '',
    password: '',
    roles: user?.roles ?? [],
  });
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const grant = (role: Role) => draft.roles.find((r) => r.role === role);
  const setGrant = (role: Role, next: RoleGrant | undefined) =>
    setDraft((d) => ({
      ...d,
      roles: [...d.roles.filter((r) => r.role !== role), ...(next ? [next] : [])],
    }));
  const lead = grant('teamLead');
  const qa = grant('qa');
  const agent = grant('agent');
  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await saveUser(client, draft, user?.id);
      onClose();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="backdrop" role="presentation" onClick={onClose}>
      <form
        className="dialog user-dialog"
        role="dialog"
        aria-label={user ? `Edit ${user.username}` : 'New user'}
        onClick={(e) => e.stopPropagation()}
        onSubmit={(e) => void submit(e)}
      >
        <h2>{user ? `Edit ${user.username}` : 'New user'}</h2>
        {!user && (
          <label className="form-field">
            Username
            <input
              name="username"
              required
              value={draft.username}
              onChange={(e) => setDraft({ ...draft, username: e.target.value.toLowerCase() })}
            />
          </label>
        )}
        <label className="form-field">
          Name shown to others
          <input
            name="name"
            value={draft.name}
            onChange={(e) => setDraft({ ...draft, name: e.target.value })}
          />
        </label>
        <label className="form-field">
          {user
            ? 'New password (leave empty to keep; changing it signs them out)'
            : 'Password (10+ characters)'}
          <input
            name="password"
            type="password"
            autoComplete="new-password"
            required={!user}
            value={draft.password}
            onChange={(e) => setDraft({ ...draft, password: e.target.value })}
          />
        </label>
        <fieldset className="roles">
          <legend>Roles</legend>
          {(['executive', 'admin'] as const).map((role) => (
            <label key={role}>
              <input
                type="checkbox"
                checked={!!grant(role)}
                onChange={(e) => setGrant(role, e.target.checked ? { role } : undefined)}
              />{' '}
              {ROLE_LABELS[role]}{' '}
              <span className="muted">
                {role === 'executive' ? 'hears every call' : 'people, tokens, audit trail'}
              </span>
            </label>
          ))}
          <label>
            <input
              type="checkbox"
              checked={!!lead}
              onChange={(e) =>
                setGrant('teamLead', e.target.checked ? { role: 'teamLead', teams: [] } : undefined)
              }
            />{' '}
            Team lead <span className="muted">hears and reviews their teams</span>
          </label>
          {lead?.role === 'teamLead' && (
            <CheckList
              label="Teams led"
              groups={(org.data?.centers ?? []).map((c) => ({
                label: c.name,
                options: (org.data?.teams ?? []).filter((t) => t.centerId === c.id),
              }))}
              value={lead.teams}
              onChange={(teams) => setGrant('teamLead', { role: 'teamLead', teams })}
            />
          )}
          <label>
            <input
              type="checkbox"
              checked={!!qa}
              onChange={(e) => setGrant('qa', e.target.checked ? { role: 'qa' } : undefined)}
            />{' '}
            QA reviewer <span className="muted">replays recordings; all centers unless chosen</span>
          </label>
          {qa?.role === 'qa' && (
            <CheckList
              label="Centers reviewed"
              groups={(org.data?.regions ?? []).map((r) => ({
                label: r.name,
                options: (org.data?.centers ?? []).filter((c) => c.regionId === r.id),
              }))}
              value={qa.centers ?? []}
              onChange={(centers) =>
                setGrant('qa', {
                  role: 'qa',
                  ...(centers.length ? { centers } : {}),
                  ...(qa.lead ? { lead: true } : {}),
                })
              }
            />
          )}
          {qa?.role === 'qa' && (
            <label>
              <input
                type="checkbox"
                checked={!!qa.lead}
                onChange={(e) =>
                  setGrant('qa', {
                    role: 'qa',
                    ...(qa.centers ? { centers: qa.centers } : {}),
                    ...(e.target.checked ? { lead: true } : {}),
                  })
                }
              />{' '}
              QA lead <span className="muted">builds forms, sampling plans and calibrations</span>
            </label>
          )}
          <label className="field">
            <span>
              Agent <span className="muted">sees only their own evaluations (no other role)</span>
            </span>
            <select
              value={agent?.role === 'agent' ? agent.agent : ''}
              onChange={(e) =>
                setGrant(
                  'agent',
                  e.target.value ? { role: 'agent', agent: e.target.value } : undefined,
                )
              }
            >
              <option value="">Not an agent</option>
              {(org.data?.agents ?? []).map((a) => (
                <option key={a.id} value={a.id}>
                  {a.name} ({org.data?.teams.find((t) => t.id === a.teamId)?.name ?? a.teamId})
                </option>
              ))}
            </select>
          </label>
        </fieldset>
        <FormError error={error} />
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={busy}>
            {user ? 'Save' : 'Create'}
          </button>
        </div>
      </form>
    </div>
  );
}
