import type { Call } from '@earshot/shared';
import { useQueryClient } from '@tanstack/react-query';
import { useAppStore } from '../../../app/store';
import { Meter } from '../../../components/meter';
import { useShortcuts } from '../../../components/use-shortcuts';
import { listenEngine, MAX_STRIPS } from '../../../lib/media/listen-engine';
import { useListen } from '../../../lib/media/use-listen';
import { tagHeardMoment, useTagEvents } from '../api/call-tags';
import { useMe } from '../../../lib/session';
import { ListenStrip } from './listen-strip';
import { ListeningHour } from './listening-hour';

/** The calls being heard, up to four, with the output meters and m / 1 / 2 shortcuts. */
export function ListenPanel() {
  const { strips, focused, notice } = useListen();
  // The listening hour is for those who hear every call (executives).
  const canObserve = useMe().data?.capabilities.teams === null;
  const client = useQueryClient();
  useTagEvents();

  useShortcuts((e) => {
    const state = listenEngine.getSnapshot();
    const live = state.strips.filter((s) => s.status === 'live' || s.status === 'reconnecting');
    const strip = live.find((s) => s.callId === state.focused) ?? live.at(-1);
    if (!strip) return false;
    if (e.key === 'm') listenEngine.toggleMute(strip.callId);
    else if (e.key === '1') listenEngine.toggleSolo(strip.callId, 'agent');
    else if (e.key === '2') listenEngine.toggleSolo(strip.callId, 'customer');
    else if (e.key === 't') {
      const call = client.getQueryData<Call>(['call', strip.callId]);
      if (!call) return false;
      void tagHeardMoment(
        client,
        strip.callId,
        call.startedAt,
        useAppStore.getState().lastLabel,
        'both',
      ).catch(() => undefined);
    } else return false;
    return true;
  });

  return (
    <aside className="listen-panel" aria-label="Listening">
      <div className="panel-head">
        <h2>Listening</h2>
        <span className="muted">
          {strips.length}/{MAX_STRIPS}
        </span>
        <span className="output" title="What you hear, left and right">
          <Meter read={() => listenEngine.outputLevel('left')} label="Output left" />
          <Meter read={() => listenEngine.outputLevel('right')} label="Output right" />
        </span>
      </div>
      {canObserve && <ListeningHour />}
      {notice && (
        <p className="notice" role="alert" onClick={() => listenEngine.clearNotice()}>
          {notice}
        </p>
      )}
      {strips.length === 0 ? (
        <p className="empty">
          Pick a call and press <kbd>Listen</kbd> (or <kbd>j</kbd>/<kbd>k</kbd> then{' '}
          <kbd>Enter</kbd>). You hear both sides; nobody on the call can hear you.
        </p>
      ) : (
        strips.map((strip) => (
          <ListenStrip
            key={strip.callId}
            strip={strip}
            focused={focused === strip.callId}
            dimmed={focused !== null && focused !== strip.callId}
          />
        ))
      )}
      <p className="shortcuts muted">
        <kbd>t</kbd> tag · <kbd>m</kbd> mute · <kbd>1</kbd>/<kbd>2</kbd> solo agent/customer ·{' '}
        <kbd>j</kbd>/<kbd>k</kbd> move · <kbd>Enter</kbd> listen
      </p>
    </aside>
  );
}
