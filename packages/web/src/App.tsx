/**
 * The shell: sign-in when there is no session; otherwise the header (navigation, connection
 * indicator, theme, user), the page of the current path, and the alert toasts.
 */
import { useEffect, useRef } from 'react';
import { Icon, type IconName, Logo } from './components/Icon';
import { StatusIndicator } from './components/StatusIndicator';
import { Toasts } from './components/Toasts';
import { useAuth, useUser } from './lib/auth';
import { cameras } from './lib/cameras';
import { live } from './lib/live';
import { Link, usePath } from './lib/router';
import { useStore } from './lib/store';
import { useTheme } from './lib/theme';
import { AdminPage } from './pages/Admin';
import { CamerasPage } from './pages/Cameras';
import { CameraViewPage } from './pages/CameraView';
import { CameraWallPage } from './pages/CameraWall';
import { DashboardPage } from './pages/Dashboard';
import { HistoryPage } from './pages/History';
import { LoginPage } from './pages/Login';
import { PeoplePage } from './pages/People';

interface Route {
  path: string;
  label: string;
  icon: IconName;
  adminOnly?: boolean;
}

const ROUTES: Route[] = [
  { path: '/', label: 'Dashboard', icon: 'dashboard' },
  { path: '/cameras', label: 'Cameras', icon: 'camera' },
  { path: '/people', label: 'People', icon: 'users' },
  { path: '/wall', label: 'Live', icon: 'eye' },
  { path: '/history', label: 'History', icon: 'clock' },
  { path: '/admin', label: 'Admin', icon: 'shield', adminOnly: true },
];

function ThemeToggle() {
  const [theme, toggle] = useTheme();
  const next = theme === 'dark' ? 'light' : 'dark';
  return (
    <button
      type="button"
      className="icon-button theme-toggle"
      onClick={toggle}
      aria-label={`Switch to ${next} theme`}
      title={`Switch to ${next} theme`}
      data-testid="theme-toggle"
    >
      <Icon name={theme === 'dark' ? 'sun' : 'moon'} size={18} />
    </button>
  );
}

function Page({ path }: { path: string }) {
  if (/^\/cameras\/[0-9]{1,10}$/.test(path)) return <CameraViewPage key={path} cameraId={Number(path.slice(9))} />;
  switch (path) {
    case '/':
      return <DashboardPage />;
    case '/cameras':
      return <CamerasPage />;
    case '/people':
      return <PeoplePage />;
    case '/history':
      return <HistoryPage />;
    case '/wall':
      return <CameraWallPage />;
    case '/admin':
      return <AdminPage />;
    default:
      return (
        <div className="empty empty--page">
          <Icon name="search" size={28} />
          <h1 tabIndex={-1}>Page not found</h1>
          <p>
            There is nothing at <code>{path}</code>. <Link href="/">Back to the dashboard</Link>
          </p>
        </div>
      );
  }
}

function Shell() {
  const user = useUser();
  const { logout } = useAuth();
  const path = usePath();
  const { toasts } = useStore(live);
  const { list } = useStore(cameras);
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);

  // Move focus to the new page's heading, so keyboard and screen reader users land on it.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs on every page change
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.querySelector<HTMLElement>('h1')?.focus();
  }, [path]);

  const routes = ROUTES.filter((r) => !r.adminOnly || user.role === 'admin');

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="topbar-inner">
          <Link href="/" className="brand" aria-label="OpenEye home">
            <Logo size={30} />
            <span className="brand-name">OpenEye</span>
          </Link>
          <nav className="nav" aria-label="Main">
            {routes.map((r) => (
              <Link key={r.path} href={r.path} className="nav-link" aria-current={path === r.path ? 'page' : undefined}>
                <Icon name={r.icon} size={17} />
                <span>{r.label}</span>
              </Link>
            ))}
          </nav>
          <div className="topbar-right">
            <StatusIndicator />
            <ThemeToggle />
            <div className="user" title={`Signed in as ${user.username} (${user.role})`}>
              <span className="user-name">{user.username}</span>
              <span className={`pill pill--role-${user.role}`}>{user.role}</span>
            </div>
            <button
              type="button"
              className="icon-button"
              onClick={() => logout()}
              aria-label="Sign out"
              title="Sign out"
            >
              <Icon name="logout" size={18} />
            </button>
          </div>
        </div>
      </header>
      <main id="main" ref={main} className="main" tabIndex={-1}>
        <Page path={path} />
      </main>
      <Toasts toasts={toasts} cameras={list} />
    </div>
  );
}

export function App() {
  const { user } = useAuth();
  return user ? <Shell /> : <LoginPage themeToggle={<ThemeToggle />} />;
}
