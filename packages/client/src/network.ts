/**
 * @module network
 * Browser signals that the network may be back: `online`, and the tab becoming visible again.
 * Outside a browser (Node, workers without `window`) there are none and nothing is registered.
 */

/** Calls `callback` on `online` and on `visibilitychange` to visible; returns the function that stops listening. */
export function onNetworkReturn(callback: () => void): () => void {
  if (typeof window === 'undefined') return () => {};
  const doc = typeof document === 'undefined' ? undefined : document;
  const onVisibility = () => {
    if (doc?.visibilityState === 'visible') callback();
  };
  window.addEventListener('online', callback);
  doc?.addEventListener('visibilitychange', onVisibility);
  return () => {
    window.removeEventListener('online', callback);
    doc?.removeEventListener('visibilitychange', onVisibility);
  };
}
