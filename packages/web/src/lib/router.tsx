/**
 * History routing without a router dependency: the server answers every non-/api GET with
 * index.html, so paths like /cameras survive a reload. A location is a path and a query string:
 * `usePath()` gives the path, `useSearch()` the query, and `navigate('/history?camera=3')` changes
 * either (a change of the query alone is a new history entry too, so back and forward walk it).
 */
import { type AnchorHTMLAttributes, type MouseEvent, useSyncExternalStore } from 'react';

const NAVIGATE = 'openeye:navigate';

function subscribe(notify: () => void): () => void {
  window.addEventListener('popstate', notify);
  window.addEventListener(NAVIGATE, notify);
  return () => {
    window.removeEventListener('popstate', notify);
    window.removeEventListener(NAVIGATE, notify);
  };
}

export function usePath(): string {
  return useSyncExternalStore(
    subscribe,
    () => window.location.pathname,
    () => '/',
  );
}

/** The query string of the location, with its `?` (or ''); a new string on every change. */
export function useSearch(): string {
  return useSyncExternalStore(
    subscribe,
    () => window.location.search,
    () => '',
  );
}

/** The location's path and query, as `navigate` takes them. */
export function currentLocation(): string {
  return window.location.pathname + window.location.search;
}

/**
 * Goes to `to` (a path with an optional `?query` and `#hash`). Nothing happens when it is where we
 * are. `replace` changes the current history entry instead of adding one (for changes a user would
 * not want to step back through, like typing into a filter); `scroll: false` keeps the scroll position.
 */
export function navigate(to: string, { replace = false, scroll = true } = {}): void {
  const target = new URL(to, window.location.href);
  const { pathname, search, hash } = window.location;
  if (target.pathname === pathname && target.search === search && target.hash === hash) return;
  const url = target.pathname + target.search + target.hash;
  if (replace) window.history.replaceState(null, '', url);
  else window.history.pushState(null, '', url);
  window.dispatchEvent(new Event(NAVIGATE));
  if (scroll && target.pathname !== pathname) window.scrollTo({ top: 0 });
}

export function Link({ href, onClick, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }) {
  const handle = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    if (
      event.defaultPrevented ||
      event.button !== 0 ||
      event.metaKey ||
      event.ctrlKey ||
      event.shiftKey ||
      event.altKey
    ) {
      return;
    }
    event.preventDefault();
    navigate(href);
  };
  return <a href={href} onClick={handle} {...rest} />;
}
