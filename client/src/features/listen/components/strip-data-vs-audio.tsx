import type { Call } from '@earshot/shared';
import { useQueryClient } from '@tanstack/react-query';
import { KpiPanel } from '../../../components/kpi-panel';
import { DISCREPANCY_SHORT, DISCREPANCY_TEXT, episodeSpan } from '../../../lib/discrepancies';
import { useOrg } from '../../../lib/org-api';
import { placeName } from '../../../lib/scope';
import { tagHeardMoment } from '../api/call-tags';

const pct = (v: number | null) => (v === null ? '—' : `${Math.round(v * 100)}%`);
const secs = (ms: number) => `${Math.round(ms / 1000)} s`;

/** Beside a call being heard: what the data says, what the audio shows, and where they disagree. */
export function StripDataVsAudio({ call }: { call: Call }) {
  const client = useQueryClient();
  const org = useOrg().data;
  return (
    <details className="data-vs-audio" open={call.flags.length > 0}>
      <summary>
        Data vs audio
        {call.flags.length > 0 && (
          <span className="flag-count"> · {call.flags.length} discrepancy now</span>
        )}
        {call.discrepancies > 0 && (
          <span className="muted">
            {' '}
            · {call.discrepancies} {call.discrepancies === 1 ? 'episode' : 'episodes'} on this call
          </span>
        )}
      </summary>
      <div className="dva-grid">
        <div>
          <h4>The data says</h4>
          <p>
            State: <strong>{call.state}</strong> · queue {call.acd.queue ?? '—'} · holds{' '}
            {call.acd.holds}
            {call.acd.disposition && ` · disposition ${call.acd.disposition}`}
          </p>
          {call.team ? (
            <KpiPanel
              scope={`team:${call.team}`}
              title={`Team ${placeName(org, 'teams', call.team)}`}
              metrics={['serviceLevel', 'asaMs', 'ahtMs', 'queueDepth']}
            />
          ) : (
            <p className="muted">No team until an admin assigns the call&apos;s agent.</p>
          )}
        </div>
        <div>
          <h4>The audio shows</h4>
          <p>
            Agent talk {pct(call.audio.talkRatio)} · silence {pct(call.audio.silenceShare)} ·
            overtalk {secs(call.audio.overtalkMs)} · longest dead air{' '}
            {secs(call.audio.longestDeadAirMs)}
          </p>
        </div>
      </div>
      {call.flags.map((flag) => (
        <p key={flag} className="flag" role="alert">
          {DISCREPANCY_TEXT[flag]}
          <button
            type="button"
            className="chip label-discrepancy"
            onClick={() =>
              void tagHeardMoment(
                client,
                call.id,
                call.startedAt,
                'discrepancy',
                'both',
                DISCREPANCY_TEXT[flag],
              )
            }
          >
            Tag as discrepancy
          </button>
        </p>
      ))}
      {call.episodes.some((e) => e.toMs !== null) && (
        <ul className="episodes" aria-label="Earlier discrepancies on this call">
          {call.episodes
            .filter((e) => e.toMs !== null)
            .map((e) => (
              <li key={`${e.kind}-${e.fromMs}`}>
                {DISCREPANCY_SHORT[e.kind]} <span className="mono">{episodeSpan(e)}</span>
              </li>
            ))}
        </ul>
      )}
    </details>
  );
}
