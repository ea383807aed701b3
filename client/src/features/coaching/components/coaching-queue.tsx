import { useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { formatOffset } from '../../../lib/format';
import { navigate } from '../../../lib/router';
import { updateTag } from '../../../lib/tags-api';
import { ApiError } from '../../../lib/api-fetch';
import { useOrg } from '../../../lib/org-api';
import { byName, placeName, teamsInScope } from '../../../lib/scope';
import { useMe } from '../../../lib/session';
import { useTeamTags, type CoachingTag } from '../api/coaching';

/** A team lead's queue: the team's tags grouped by agent, to coach and mark coached. */
export function CoachingQueue() {
  const client = useQueryClient();
  const org = useOrg();
  const me = useMe().data;
  // The lead's own teams (everyone's for those who see every call), by center.
  const teams = useMemo(() => teamsInScope(me, org.data).sort(byName), [me, org.data]);
  const [chosen, setTeam] = useState('');
  // A lead of one team starts on it.
  const team = chosen || (teams.length === 1 ? teams[0]!.id : '');
  const [showCoached, setShowCoached] = useState(false);
  const tags = useTeamTags(team, showCoached);
  const byAgent = useMemo(() => {
    const groups = new Map<string, { name: string; tags: CoachingTag[] }>();
    for (const tag of tags.data ?? []) {
      const group = groups.get(tag.agent.id) ?? { name: tag.agent.name, tags: [] };
      group.tags.push(tag);
      groups.set(tag.agent.id, group);
    }
    return [...groups.entries()].sort((a, b) => b[1].tags.length - a[1].tags.length);
  }, [tags.data]);
  return (
    <section className="coaching" aria-label="Coaching queue">
      <div className="toolbar">
        <label className="field">
          <span>Team</span>
          <select value={team} onChange={(e) => setTeam(e.target.value)} aria-label="Team">
            <option value="">Choose a team</option>
            {teams.map((t) => (
              <option key={t.id} value={t.id}>
                {t.name} · {placeName(org.data, 'centers', t.centerId)}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Show</span>
          <select
            value={String(showCoached)}
            onChange={(e) => setShowCoached(e.target.value === 'true')}
          >
            <option value="false">To coach</option>
            <option value="true">Already coached</option>
          </select>
        </label>
      </div>
      {!team ? (
        <p className="empty">Choose a team to see its tags by agent.</p>
      ) : tags.isPending ? (
        <p className="empty">Loading…</p>
      ) : tags.isError ? (
        <p className="empty error">
          {tags.error instanceof ApiError && tags.error.status === 403
            ? 'This team is outside what you may coach.'
            : `Could not load the team's tags: ${tags.error.message}`}
        </p>
      ) : byAgent.length === 0 ? (
        <p className="empty">
          {showCoached
            ? 'Nothing coached yet.'
            : 'Nothing to coach: every tag on this team is coached.'}
        </p>
      ) : (
        byAgent.map(([agentId, group]) => (
          <article key={agentId} className="coach-agent">
            <h3>
              {group.name} <span className="muted">{group.tags.length}</span>
            </h3>
            <ul className="replay-tags">
              {group.tags.map((tag) => (
                <li key={tag.id}>
                  <button
                    type="button"
                    className="ghost"
                    onClick={() =>
                      navigate(`/review/${tag.callId}?tag=${encodeURIComponent(tag.id)}`)
                    }
                    aria-label="Open the call"
                  >
                    ▶
                  </button>
                  <span className="mono">{formatOffset(tag.offsetMs)}</span>
                  <span className={`chip label-${tag.label}`}>{tag.label}</span>
                  <span className="note">
                    {tag.author.name}
                    {tag.note ? `: ${tag.note}` : ''}
                  </span>
                  <span className="muted">{new Date(tag.createdAt).toLocaleDateString()}</span>
                  <button
                    type="button"
                    className="toggle"
                    aria-pressed={!!tag.coachedAt}
                    onClick={() =>
                      void updateTag(client, tag.id, { coached: !tag.coachedAt }).then(() =>
                        client.invalidateQueries({ queryKey: ['coaching', team] }),
                      )
                    }
                  >
                    {tag.coachedAt ? `Coached by ${tag.coachedBy}` : 'Mark coached'}
                  </button>
                </li>
              ))}
            </ul>
          </article>
        ))
      )}
    </section>
  );
}
