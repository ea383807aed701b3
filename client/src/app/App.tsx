import type { Me } from '@earshot/shared';
import { useEffect, useMemo, useSyncExternalStore } from 'react';
import { PHONE, useMediaQuery } from '../components/use-media-query';
import { AdminPage } from '../features/admin/components/admin-page';
import { AgentsPage } from '../features/agents/components/agents-page';
import { AlertToasts } from '../features/alerts/components/alert-toasts';
import { AlertsPage } from '../features/alerts/components/alerts-page';
import { HeardPage } from '../features/heard/components/heard-page';
import { LoginPage } from '../features/auth/components/login-page';
import { CoachingQueue } from '../features/coaching/components/coaching-queue';
import { KpiPage } from '../features/kpi/components/kpi-page';
import { LiveBoard } from '../features/live-board/components/board';
import { ListenPanel } from '../features/listen/components/listen-panel';
import { QualityPage } from '../features/qa/components/quality-page';
import { MyEvaluation, MyEvaluations } from '../features/replay/components/my-evaluations';
import { ReplayView } from '../features/replay/components/replay-view';
import { ReviewList } from '../features/replay/components/review-list';
import { listenEngine } from '../lib/media/listen-engine';
import { useListen } from '../lib/media/use-listen';
import { navigate, usePath } from '../lib/router';
import { signOut, useMe } from '../lib/session';
import { connectionStatus, socket } from '../lib/socket';
import { useAppStore } from './store';

/** The console once signed in: pages by what the user may do, and listening on top. */
function Console({ me }: { me: Me }) {
  const theme = useAppStore((s) => s.theme);
  const toggleTheme = useAppStore((s) => s.toggleTheme);
  const selectedCallId = useAppStore((s) => s.selectedCallId);
  const select = useAppStore((s) => s.select);
  const status = useSyncExternalStore(connectionStatus.subscribe, connectionStatus.get);
  const path = usePath();
  const can = me.capabilities;
  const pages = (
    [
      ['/', 'Live', 'live', can.listen],
      ['/agents', 'Agents', 'agents', can.listen],
      ['/alerts', 'Alerts', 'alerts', can.listen || can.admin],
      ['/heard', 'Heard', 'heard', can.listen],
      ['/review', 'Review', 'review', can.review],
      ['/coaching', 'Coaching', 'coaching', can.listen || can.review],
      ['/kpis', 'KPIs', 'kpis', can.listen || can.review],
      ['/quality', 'Quality', 'quality', can.evaluate || can.review],
      ['/my', 'My evaluations', 'my', can.agent !== null],
      ['/admin', 'Admin', 'admin', can.admin],
    ] as const
  ).filter(([, , , allowed]) => allowed);
  const replayId = /^\/review\/([0-9a-f-]{36})$/.exec(path)?.[1];
  const myEvaluationId = /^\/my\/([0-9a-f-]{36})$/.exec(path)?.[1];
  // A shared link to a live call: `/live/<call id>` opens it for listening.
  const linkedCall = /^\/live\/([0-9a-f-]{36})$/.exec(path)?.[1];
  const asked = replayId
    ? 'review'
    : linkedCall
      ? 'live'
      : (pages.find(([href]) => href !== '/' && path.startsWith(href))?.[2] ?? 'live');
  const page = pages.some(([, , id]) => id === asked) ? asked : (pages[0]?.[2] ?? 'none');
  const { strips } = useListen();
  const listening = useMemo(
    () =>
      new Set(
        strips.filter((s) => s.status !== 'ended' && s.status !== 'lost').map((s) => s.callId),
      ),
    [strips],
  );

  // NOTE: an agent has no live console: the server refuses their socket, so none is opened.
  const live = can.agent === null;
  useEffect(() => {
    if (!live) return;
    socket.connect();
    return () => {
      socket.disconnect();
    };
  }, [live]);

  useEffect(() => {
    if (!linkedCall || !can.listen) return;
    const open = () => listenEngine.open(linkedCall);
    if (socket.connected) open();
    else socket.once('connect', open);
    return () => {
      socket.off('connect', open);
    };
  }, [linkedCall, can.listen]);

  const listen = (callId: string) => listenEngine.open(callId);
  // The listening panel shows where it is used: always beside the live board on a desk,
  // elsewhere (and on a phone) only while something is being heard.
  const phone = useMediaQuery(PHONE);
  const showPanel =
    can.listen && (strips.length > 0 || ((page === 'live' || page === 'agents') && !phone));

  return (
    <div className="app">
      <header className="topbar">
        <h1>Earshot</h1>
        <nav className="nav" aria-label="Pages">
          {pages.map(([href, label, id]) => (
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
        {live && (
          <span className={`conn conn-${status}`} role="status" aria-label={`Connection ${status}`}>
            {status === 'connected'
              ? 'Live'
              : status === 'connecting'
                ? 'Connecting…'
                : 'Offline, reconnecting…'}
          </span>
        )}
        <span className="spacer" />
        <UserMenu me={me} />
        <button
          type="button"
          className="ghost"
          onClick={toggleTheme}
          aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}
        >
          {theme === 'dark' ? '☀' : '☾'}
        </button>
      </header>
      <main className={showPanel ? 'layout' : 'layout layout-solo'}>
        {page === 'none' ? (
          <div className="empty">
            <p>Your account has no role yet. An admin gives you one on the Admin page.</p>
          </div>
        ) : page === 'admin' ? (
          <AdminPage />
        ) : page === 'live' ? (
          <LiveBoard
            listening={listening}
            selectedCallId={selectedCallId}
            onSelect={select}
            onListen={listen}
          />
        ) : page === 'agents' ? (
          <AgentsPage />
        ) : page === 'alerts' ? (
          <AlertsPage />
        ) : page === 'heard' ? (
          <HeardPage />
        ) : page === 'coaching' ? (
          <CoachingQueue />
        ) : page === 'kpis' ? (
          <KpiPage />
        ) : page === 'quality' ? (
          <QualityPage can={can} />
        ) : page === 'my' ? (
          myEvaluationId ? (
            <MyEvaluation key={myEvaluationId} id={myEvaluationId} />
          ) : (
            <MyEvaluations />
          )
        ) : replayId ? (
          <ReplayView key={replayId} callId={replayId} />
        ) : (
          <ReviewList />
        )}
        {/* Listening goes on whatever page is open. */}
        {showPanel && <ListenPanel />}
      </main>
      {(can.listen || can.admin) && <AlertToasts canListen={can.listen} />}
    </div>
  );
}

/** Who is signed in, their roles, and signing out. */
function UserMenu({ me }: { me: Me }) {
  const roles =
    me.user.roles
      .map((r) => (r.role === 'qa' && r.lead ? 'QA lead' : ROLE_NAMES[r.role]))
      .join(', ') || 'no role';
  return (
    <span className="user-menu">
      <span title={`Signed in as ${me.user.username}`}>
        {me.user.name} <span className="muted">· {roles}</span>
      </span>
      <button type="button" className="ghost" onClick={() => void signOut()}>
        Sign out
      </button>
    </span>
  );
}

const ROLE_NAMES = {
  admin: 'Admin',
  executive: 'Executive',
  teamLead: 'Team lead',
  qa: 'QA reviewer',
  agent: 'Agent',
} as const;

export function App() {
  const theme = useAppStore((s) => s.theme);
  const me = useMe();
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  if (me.isPending) return <div className="splash">Earshot</div>;
  if (me.isError)
    return (
      <div className="splash">
        <p>The server cannot be reached: {me.error.message}</p>
        <button type="button" onClick={() => void me.refetch()}>
          Try again
        </button>
      </div>
    );
  if (!me.data) return <LoginPage />;
  return <Console key={me.data.user.id} me={me.data} />;
}
