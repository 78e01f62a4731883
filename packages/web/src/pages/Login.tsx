import { PROTOCOL_VERSION } from '@openeye/protocol/constants';
import { type FormEvent, useId, useState } from 'react';
import { Icon, Logo } from '../components/Icon';
import { loginErrorMessage, useAuth } from '../lib/auth';
import { useTitle } from '../lib/hooks';

export function LoginPage({ themeToggle }: { themeToggle: React.ReactNode }) {
  useTitle('Sign in');
  const { login, notice } = useAuth();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const ids = { username: useId(), password: useId(), error: useId() };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!username.trim() || !password) {
      setError('Enter your username and password.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await login(username.trim(), password);
    } catch (e) {
      setError(loginErrorMessage(e));
      setBusy(false);
    }
  };

  return (
    <div className="login">
      <div className="login-theme">{themeToggle}</div>
      <main className="login-card card" aria-labelledby="login-title">
        <div className="login-brand">
          <Logo size={40} />
          <div>
            <div className="brand-name">OpenEye</div>
            <div className="brand-sub">Realtime monitoring</div>
          </div>
        </div>
        <h1 id="login-title">Sign in</h1>
        <p className="login-lead">Live recognitions, camera events and alerts as they happen.</p>
        {notice && !error ? (
          <p className="notice" role="status">
            <Icon name="info" size={16} /> {notice}
          </p>
        ) : null}
        <form onSubmit={(e) => void submit(e)} noValidate aria-describedby={error ? ids.error : undefined}>
          <div className="field">
            <label htmlFor={ids.username}>Username</label>
            <input
              id={ids.username}
              name="username"
              autoComplete="username"
              autoCapitalize="none"
              spellCheck={false}
              value={username}
              // biome-ignore lint/a11y/noAutofocus: the only thing to do on this page is to sign in
              autoFocus
              aria-invalid={error !== null}
              onChange={(e) => setUsername(e.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor={ids.password}>Password</label>
            <input
              id={ids.password}
              name="password"
              type="password"
              autoComplete="current-password"
              value={password}
              aria-invalid={error !== null}
              onChange={(e) => setPassword(e.target.value)}
            />
          </div>
          {error ? (
            <p className="form-error login-error" id={ids.error} role="alert" data-testid="login-error">
              <Icon name="warning" size={16} /> {error}
            </p>
          ) : null}
          <button type="submit" className="button button--primary button--block" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
      </main>
      <p className="login-foot">OpenEye Realtime · protocol v{PROTOCOL_VERSION}</p>
    </div>
  );
}
