import type { LegName } from '@earshot/shared';
import { Meter } from '../../../components/meter';
import { useNow } from '../../../components/use-now';
import { listenEngine, type StripState } from '../../../lib/media/listen-engine';
import { socket } from '../../../lib/socket';
import { useCall } from '../../../lib/calls-api';
import { StripDataVsAudio } from './strip-data-vs-audio';
import { StripTags } from './strip-tags';
import { customerNumber, formatDuration } from '../../../lib/format';
import { useOrg } from '../../../lib/org-api';
import { navigate } from '../../../lib/router';
import { placeName } from '../../../lib/scope';
import { useMe } from '../../../lib/session';

const STATUS: Record<StripState['status'], string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Re-attaching…',
  ended: 'Call ended',
  lost: 'Lost',
  error: 'Error',
};

const LEG_LABEL: Record<LegName, string> = { agent: 'Agent', customer: 'Customer' };

function LegControls({ strip, leg }: { strip: StripState; leg: LegName }) {
  const c = strip.legs[leg];
  const label = LEG_LABEL[leg];
  const silenced = c.muted || (strip.solo !== null && strip.solo !== leg);
  return (
    <div className={`leg leg-${leg}`} data-silenced={silenced}>
      <span className="leg-name">{label}</span>
      <Meter
        read={() => listenEngine.legLevel(strip.callId, leg)}
        label={`${label} received level`}
        className={leg}
      />
      <input
        type="range"
        min={0}
        max={1.5}
        step={0.05}
        value={c.volume}
        onChange={(e) => listenEngine.setVolume(strip.callId, leg, Number(e.target.value))}
        aria-label={`${label} volume`}
      />
      <button
        type="button"
        className="toggle"
        aria-pressed={c.muted}
        onClick={() => listenEngine.toggleMute(strip.callId, leg)}
        aria-label={`Mute ${label.toLowerCase()}`}
      >
        Mute
      </button>
      <button
        type="button"
        className="toggle"
        aria-pressed={strip.solo === leg}
        onClick={() => listenEngine.toggleSolo(strip.callId, leg)}
        aria-label={`Solo ${label.toLowerCase()}`}
      >
        Solo
      </button>
    </div>
  );
}

/** One call being heard: its legs' levels and controls, who else listens, and its state. */
export function ListenStrip({
  strip,
  focused,
  dimmed,
}: {
  strip: StripState;
  focused: boolean;
  /** Another call has the focus: this one is turned down. */
  dimmed: boolean;
}) {
  const call = useCall(strip.callId, { live: true });
  const org = useOrg().data;
  const canReview = useMe().data?.capabilities.review ?? false;
  const now = useNow();
  const others = strip.listeners.filter((p) => p.id !== socket.id);
  const over = strip.status === 'ended' || strip.status === 'lost';
  // Nothing to control on a call that is over or could not be joined.
  const inactive = over || strip.status === 'error';
  const title = call.data
    ? `${call.data.unmatched ? 'Unmatched agent' : call.data.agent.name} · ${customerNumber(call.data.customer.number)}`
    : strip.callId.slice(0, 8);
  // Two agents may share a name: the team and center tell them apart.
  const place =
    call.data && !call.data.unmatched
      ? `${placeName(org, 'teams', call.data.team)} · ${placeName(org, 'centers', call.data.center)}`
      : undefined;
  return (
    <article
      className="strip"
      data-call-id={strip.callId}
      data-status={strip.status}
      data-focused={focused}
      data-dimmed={dimmed}
      data-first-audio-ms={
        strip.firstAudioAt === undefined ? undefined : strip.firstAudioAt - strip.joinedAt
      }
      aria-label={`Listening to ${title}`}
    >
      <header>
        <div className="strip-title">
          <strong>{title}</strong>
          {place && <span className="muted strip-place">{place}</span>}
          <span className={`status status-${strip.status}`} role="status">
            {STATUS[strip.status]}
            {strip.status === 'live' &&
              call.data &&
              ` · call ${formatDuration(call.data.startedAt, now)}`}
            {dimmed && !over && ' · turned down (another call has focus)'}
          </span>
        </div>
        <div className="strip-actions">
          {!inactive && (
            <>
              <button
                type="button"
                className="toggle"
                aria-pressed={strip.split}
                onClick={() => listenEngine.toggleSplit(strip.callId)}
                aria-label="Stereo split"
                title="Agent left, customer right"
              >
                Split
              </button>
              <button
                type="button"
                className="toggle"
                aria-pressed={focused}
                onClick={() => listenEngine.focus(strip.callId)}
                aria-label="Focus"
                title="Turn the other calls down"
              >
                Focus
              </button>
            </>
          )}
          <button
            type="button"
            className="ghost"
            onClick={() => listenEngine.close(strip.callId)}
            aria-label={inactive ? 'Close' : 'Stop listening'}
          >
            {inactive ? 'Close' : 'Stop'}
          </button>
        </div>
      </header>
      {strip.message && (
        <p className={`strip-message ${over || strip.status === 'error' ? 'bad' : ''}`}>
          {strip.message}
        </p>
      )}
      {strip.status === 'ended' && canReview && (
        <p className="strip-message">
          <a
            href={`/review/${strip.callId}`}
            onClick={(e) => {
              e.preventDefault();
              navigate(`/review/${strip.callId}`);
            }}
          >
            Open its recording
          </a>
        </p>
      )}
      {!inactive && (
        <>
          <LegControls strip={strip} leg="agent" />
          <LegControls strip={strip} leg="customer" />
        </>
      )}
      {!inactive && <StripTags callId={strip.callId} startedAt={call.data?.startedAt} />}
      {!inactive && call.data && <StripDataVsAudio call={call.data} />}
      <footer className="presence" aria-label="Also listening">
        {others.length === 0
          ? 'No one else is listening'
          : `Also listening: ${others.map((p) => p.name).join(', ')}`}
      </footer>
    </article>
  );
}
