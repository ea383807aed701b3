import type { Call, Org } from '@earshot/shared';
import { memo } from 'react';
import { Meter } from '../../../components/meter';
import { DISCREPANCY_SHORT, DISCREPANCY_TEXT } from '../../../lib/discrepancies';
import { formatDuration, customerNumber } from '../../../lib/format';
import { boardLevel } from '../stores/levels';

const STATE_LABEL: Record<Call['state'], string> = {
  ringing: 'Ringing',
  talking: 'Talking',
  held: 'On hold',
  transferred: 'Transferred',
  ended: 'Ended',
};

interface Props {
  call: Call;
  org: Org | undefined;
  now: number;
  /** Its row number in the grid (the header is 1). */
  index: number;
  selected: boolean;
  listening: boolean;
  onSelect(): void;
  onListen(): void;
}

/** One live call on the board. */
export const BoardRow = memo(function BoardRow({
  call,
  org,
  now,
  index,
  selected,
  listening,
  onSelect,
  onListen,
}: Props) {
  const center = org?.centers.find((c) => c.id === call.center)?.name ?? call.center;
  const region = org?.regions.find((r) => r.id === call.region)?.name ?? call.region;
  const team = org?.teams.find((t) => t.id === call.team)?.name ?? call.team;
  return (
    <div
      className="row"
      role="row"
      aria-selected={selected}
      aria-rowindex={index}
      data-call-id={call.id}
      onClick={onSelect}
    >
      <span role="gridcell" className="col-region" title={region}>
        {region}
      </span>
      <span role="gridcell" className="col-center" title={`${center} · ${region}`}>
        {center}
        {!call.unmatched && <span className="phone-only"> · {team}</span>}
      </span>
      <span role="gridcell" className="col-team" title={team}>
        {call.unmatched ? (
          <span className="muted mono">{call.participants[0]?.aor ?? '—'}</span>
        ) : (
          team
        )}
      </span>
      <span role="gridcell" className="col-agent" title={call.agent.name}>
        {call.unmatched ? (
          <span
            className="unmatched-badge"
            title={`No agent matched: ${call.participants.map((p) => p.aor).join(', ') || 'no addresses given'}`}
          >
            Unmatched
          </span>
        ) : (
          call.agent.name
        )}
      </span>
      <span role="gridcell" className="col-customer mono">
        {customerNumber(call.customer.number)}
      </span>
      <span role="gridcell" className="col-state">
        <span className={`badge state-${call.state}`}>{STATE_LABEL[call.state]}</span>
        {call.flags.map((flag) => (
          <span
            key={flag}
            className="flag-badge"
            title={DISCREPANCY_TEXT[flag]}
            aria-label={DISCREPANCY_SHORT[flag]}
          >
            ⚠<span className="flag-text"> {DISCREPANCY_SHORT[flag]}</span>
          </span>
        ))}
      </span>
      <span role="gridcell" className="col-duration mono">
        {formatDuration(call.startedAt, now)}
      </span>
      <span role="gridcell" className="col-levels">
        <Meter
          read={() => boardLevel(call.id, 'agent')}
          label={`${call.agent.name} (agent) level`}
          className="agent"
        />
        <Meter
          read={() => boardLevel(call.id, 'customer')}
          label="Customer level"
          className="customer"
        />
      </span>
      <span
        role="gridcell"
        className="col-listeners mono"
        title={`${call.listeners} listening`}
        aria-label={`${call.listeners} listening`}
      >
        {call.listeners > 0 ? `◉ ${call.listeners}` : ''}
      </span>
      <span role="gridcell" className="col-action">
        <button
          type="button"
          className={listening ? 'listening' : 'primary'}
          onClick={(e) => {
            e.stopPropagation();
            onListen();
          }}
          aria-label={listening ? 'Listening' : 'Listen'}
        >
          {listening ? 'Listening' : 'Listen'}
        </button>
      </span>
    </div>
  );
});
