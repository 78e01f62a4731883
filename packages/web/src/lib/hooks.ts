import { useEffect, useState } from 'react';

/** The current time, refreshed every `intervalMs`. */
export function useNow(intervalMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

let pageTitle = '';
let unreadCount = 0;

function renderTitle(): void {
  if (!pageTitle) return;
  document.title = `${unreadCount > 0 ? `(${unreadCount > 999 ? '999+' : unreadCount}) ` : ''}${pageTitle} · OpenEye`;
}

/** Sets the document title for the page (with the unread alert count in front, when there is one). */
export function useTitle(title: string): void {
  useEffect(() => {
    pageTitle = title;
    renderTitle();
  }, [title]);
}

let titleTimer: ReturnType<typeof setTimeout> | undefined;

/**
 * The unread alert count shown in the tab title: "(3) Dashboard · OpenEye". At most four title
 * changes a second: each one is work for the browser, and a burst of alerts changes the count often.
 */
export function useUnreadTitle(unread: number): void {
  useEffect(() => {
    unreadCount = unread;
    titleTimer ??= setTimeout(() => {
      titleTimer = undefined;
      renderTitle();
    }, 250);
  }, [unread]);
  useEffect(
    () => () => {
      unreadCount = 0;
      renderTitle();
    },
    [],
  );
}
