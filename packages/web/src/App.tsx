/**
 * The shell: sign-in when there is no session; the kiosk mode (`?kiosk=1` or /kiosk);
 * otherwise the header (navigation, connection indicator, alerts with their unread count, theme,
 * user), the page of the current path, the alert toasts and the alert inbox.
 *
 * Pages other than the dashboard and sign-in are loaded on demand (React.lazy), so the first
 * load stays small. Alt+A moves focus to the newest unread alert.
 */
import { type ComponentType, type LazyExoticComponent, lazy, Suspense, useEffect, useRef } from 'react';
import { AlertInbox, toggleInbox, useInboxOpen } from './components/AlertInbox';
import { Icon, type IconName, Logo } from './components/Icon';
import { isKiosk, KioskShell } from './components/Kiosk';
import { ConnectionBanner, StatusIndicator } from './components/StatusIndicator';
import { FOCUS_NEWEST_ALERT, Toasts } from './components/Toasts';
import { useAuth, useUser } from './lib/auth';
import { cameras } from './lib/cameras';
import { useUnreadTitle } from './lib/hooks';
import { live, unreadOf } from './lib/live';
import { Link, usePath } from './lib/router';
import { useStore, useStoreSelector } from './lib/store';
import { useTheme } from './lib/theme';
import { DashboardPage } from './pages/Dashboard';
import { LoginPage } from './pages/Login';

type Page = ComponentType | LazyExoticComponent<ComponentType>;

interface NavEntry {
  path: string;
  label: string;
  icon: IconName;
  adminOnly?: boolean;
}

/**
 * The pages, one line each: a path (or a pattern) and its component. Lazy ones load with their
 * first visit, in their own chunk; the first match wins.
 */
const PAGES: [string | RegExp, Page][] = [
  ['/', DashboardPage],
  ['/cameras', lazy(() => import('./pages/Cameras').then((m) => ({ default: m.CamerasPage })))],
  [/^\/cameras\/[0-9]{1,10}$/, lazy(() => import('./pages/CameraView').then((m) => ({ default: m.CameraViewRoute })))],
  ['/people', lazy(() => import('./pages/People').then((m) => ({ default: m.PeoplePage })))],
  ['/wall', lazy(() => import('./pages/CameraWall').then((m) => ({ default: m.CameraWallPage })))],
  ['/history', lazy(() => import('./pages/History').then((m) => ({ default: m.HistoryPage })))],
  ['/admin', lazy(() => import('./pages/Admin').then((m) => ({ default: m.AdminPage })))],
];

function pageFor(path: string): Page | undefined {
  return PAGES.find(([match]) => (typeof match === 'string' ? match === path : match.test(path)))?.[1];
}

const ROUTES: NavEntry[] = [
  { path: '/', label: 'Dashboard', icon: 'dashboard' },
  { path: '/cameras', label: 'Cameras', icon: 'camera' },
  { path: '/people', label: 'People', icon: 'users' },
  { path: '/wall', label: 'Live', icon: 'eye' },
  { path: '/history', label: 'History', icon: 'clock' },
  { path: '/admin', label: 'Admin', icon: 'shield', adminOnly: true },
];

export const ALERT_SHORTCUT_HINT = 'Alt+A jumps to the newest unread alert';

function AlertsButton() {
  // A number: the button re-renders when the count changes, not at every store change.
  const unread = useStoreSelector(live, (s) => unreadOf(s.alerts));
  const open = useInboxOpen();
  useUnreadTitle(unread);
  return (
    <button
      type="button"
      className={`icon-button alerts-button${unread > 0 ? ' has-unread' : ''}`}
      onClick={toggleInbox}
      aria-expanded={open}
      aria-label={unread > 0 ? `Alerts, ${unread} unread` : 'Alerts, none unread'}
      title={`Alerts not yet handled (${ALERT_SHORTCUT_HINT})`}
      data-testid="alerts-button"
    >
      <Icon name="bell" size={18} />
      {unread > 0 ? (
        <span className="alerts-count num" data-testid="unread-count" aria-hidden="true">
          {unread > 999 ? '999+' : unread}
        </span>
      ) : null}
    </button>
  );
}

/** Alt+A (Option+A on a Mac keyboard gives "å": the code is what counts). */
function useAlertShortcut(): void {
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.altKey && !event.ctrlKey && !event.metaKey && event.code === 'KeyA') {
        event.preventDefault();
        window.dispatchEvent(new Event(FOCUS_NEWEST_ALERT));
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}

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
  const Component = pageFor(path);
  if (Component) {
    return (
      <Suspense
        fallback={
          <div className="empty empty--page" role="status">
            Loading…
          </div>
        }
      >
        <Component />
      </Suspense>
    );
  }
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

function Shell() {
  const user = useUser();
  const { logout } = useAuth();
  const path = usePath();
  const { list } = useStore(cameras);
  useAlertShortcut();
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
            <AlertsButton />
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
      <ConnectionBanner />
      <main id="main" ref={main} className="main" tabIndex={-1}>
        <Page path={path} />
      </main>
      <Toasts cameras={list} />
      <AlertInbox cameras={list} />
    </div>
  );
}

function Kiosk() {
  useAlertShortcut();
  return <KioskShell />;
}

export function App() {
  const { user } = useAuth();
  const path = usePath();
  if (!user) return <LoginPage themeToggle={<ThemeToggle />} />;
  return isKiosk(path, window.location.search) ? <Kiosk /> : <Shell />;
}
