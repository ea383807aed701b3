import { useState } from 'react';
import { signIn, takeEndedMessage, useAuthConfig } from '../../../lib/session';
import { FormError } from '../../../components/form-error';

/** Sign-in: username and password; in demo mode, the demo users and their password. */
export function LoginPage() {
  const config = useAuthConfig();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(takeEndedMessage);
  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await signIn(username.trim(), password);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
      setPassword('');
    } finally {
      setBusy(false);
    }
  };
  const demo = config.data?.demoUsers;
  return (
    <main className="login">
      <form className="login-card" onSubmit={(e) => void submit(e)} aria-label="Sign in">
        <h1>Earshot</h1>
        <p className="muted">Supervisor call observation. Sign in to go on.</p>
        <label className="form-field">
          Username
          <input
            name="username"
            autoComplete="username"
            autoFocus
            required
            value={username}
            onChange={(e) => setUsername(e.target.value)}
          />
        </label>
        <label className="form-field">
          Password
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        <FormError error={error} />
        <button type="submit" className="primary" disabled={busy || !username || !password}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        {demo && (
          <section className="demo-users" aria-label="Demo users">
            <h2>Demo mode</h2>
            <p className="muted">
              This server runs the built-in call simulator. Each demo user shows one role; the
              password of all of them is <code>{demo[0]?.password}</code>.
            </p>
            <ul>
              {demo.map((u) => (
                <li key={u.username}>
                  <button
                    type="button"
                    className="chip"
                    onClick={() => {
                      setUsername(u.username);
                      setPassword(u.password);
                    }}
                  >
                    {u.username}
                  </button>{' '}
                  <span className="muted">{u.description}</span>
                </li>
              ))}
            </ul>
          </section>
        )}
      </form>
    </main>
  );
}
