import { useEffect, useMemo, useSyncExternalStore } from 'react';
import { CoachingQueue } from '../features/coaching/components/coaching-queue';
import { KpiPage } from '../features/kpi/components/kpi-page';
import { LiveBoard } from '../features/live-board/components/board';
import { ListenPanel } from '../features/listen/components/listen-panel';
import { NameDialog } from '../features/listen/components/name-dialog';
import { ReplayView } from '../features/replay/components/replay-view';
import { ReviewList } from '../features/replay/components/review-list';
import { listenEngine } from '../lib/media/listen-engine';
import { useListen } from '../lib/media/use-listen';
import { navigate, usePath } from '../lib/router';
import { connectionStatus, request, socket } from '../lib/socket';
import { useAppStore } from './store';

/** Tells the server who this console is (again after every reconnect). */
function useHello(name: string | undefined) {
  useEffect(() => {
    if (!name) return;
    const hello = () =>
      void request('session:hello', { name, consoleId: useAppStore.getState().consoleId }).catch(
        () => undefined,
      );
    if (socket.connected) hello();
    socket.on('connect', hello);
    return () => {
      socket.off('connect', hello);
    };
  }, [name]);
}

export function App() {
  const theme = useAppStore((s) => s.theme);
  const toggleTheme = useAppStore((s) => s.toggleTheme);
  const name = useAppStore((s) => s.name);
  const setName = useAppStore((s) => s.setName);
  const pendingListen = useAppStore((s) => s.pendingListen);
  const setPendingListen = useAppStore((s) => s.setPendingListen);
  const selectedCallId = useAppStore((s) => s.selectedCallId);
  const select = useAppStore((s) => s.select);
  const status = useSyncExternalStore(connectionStatus.subscribe, connectionStatus.get);
  const path = usePath();
  const replayId = /^\/review\/([0-9a-f-]{36})$/.exec(path)?.[1];
  const page = replayId
    ? 'review'
    : path === '/review'
      ? 'review'
      : path === '/coaching'
        ? 'coaching'
        : path === '/kpis'
          ? 'kpis'
          : 'live';
  const { strips } = useListen();
  const listening = useMemo(
    () =>
      new Set(
        strips.filter((s) => s.status !== 'ended' && s.status !== 'lost').map((s) => s.callId),
      ),
    [strips],
  );
  useHello(name);

  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);

  const listen = (callId: string) => {
    if (!useAppStore.getState().name) setPendingListen(callId);
    else listenEngine.open(callId);
  };

  return (
    <div className="app">
      <header className="topbar">
        <h1>Earshot</h1>
        <nav className="nav" aria-label="Pages">
          {(
            [
              ['/', 'Live', 'live'],
              ['/review', 'Review', 'review'],
              ['/coaching', 'Coaching', 'coaching'],
              ['/kpis', 'KPIs', 'kpis'],
            ] as const
          ).map(([href, label, id]) => (
            <a
              key={id}
              href={href}
              aria-current={page === id ? 'page' : undefined}
              onClick={(e) => {
                e.preventDefault();
                navigate(href);
              }}
            >
              {label}
            </a>
          ))}
        </nav>
        <span className={`conn conn-${status}`} role="status" aria-label={`Connection ${status}`}>
          {status === 'connected'
            ? 'Live'
            : status === 'connecting'
              ? 'Connecting…'
              : 'Offline, reconnecting…'}
        </span>
        <span className="spacer" />
        {name && (
          <button
            type="button"
            className="ghost"
            onClick={() => setPendingListen('')}
            title="Change the name other listeners see"
          >
            {name}
          </button>
        )}
        <button
          type="button"
          className="ghost"
          onClick={toggleTheme}
          aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}
        >
          {theme === 'dark' ? '☀' : '☾'}
        </button>
      </header>
      <main className="layout">
        {page === 'live' ? (
          <LiveBoard
            listening={listening}
            selectedCallId={selectedCallId}
            onSelect={select}
            onListen={listen}
          />
        ) : page === 'coaching' ? (
          <CoachingQueue />
        ) : page === 'kpis' ? (
          <KpiPage />
        ) : replayId ? (
          <ReplayView key={replayId} callId={replayId} />
        ) : (
          <ReviewList />
        )}
        {/* Listening goes on whatever page is open. */}
        <ListenPanel />
      </main>
      {pendingListen !== undefined && (
        <NameDialog
          onCancel={() => setPendingListen(undefined)}
          onSubmit={(newName) => {
            setName(newName);
            setPendingListen(undefined);
            // Socket.IO keeps order: the server has the name before the listen request,
            // and opening inside the click lets the AudioContext start.
            void request('session:hello', {
              name: newName,
              consoleId: useAppStore.getState().consoleId,
            }).catch(() => undefined);
            if (pendingListen) listenEngine.open(pendingListen);
          }}
        />
      )}
    </div>
  );
}
