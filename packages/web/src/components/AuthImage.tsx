/**
 * An image of the API (an event's snapshot, `/api/media/<id>`), fetched with the bearer token and
 * shown from an object URL: it works whether or not the browser has the media cookie, and no
 * token ever appears in a URL. The object URL is revoked when the image leaves.
 */
import { useEffect, useState } from 'react';
import { currentToken } from '../lib/services';

export function AuthImage({ src, alt, className }: { src: string; alt: string; className?: string }) {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    let objectUrl: string | null = null;
    let cancelled = false;
    void (async () => {
      try {
        const token = await currentToken();
        const res = await fetch(src, {
          headers: token ? { authorization: `Bearer ${token}` } : {},
          credentials: 'same-origin',
        });
        if (!res.ok || cancelled) return;
        const blob = await res.blob();
        if (cancelled) return;
        objectUrl = URL.createObjectURL(blob);
        setUrl(objectUrl);
      } catch {
        // No picture: the text says what happened.
      }
    })();
    return () => {
      cancelled = true;
      if (objectUrl) URL.revokeObjectURL(objectUrl);
    };
  }, [src]);
  return url ? (
    <img src={url} alt={alt} className={className} />
  ) : (
    <span className={`${className ?? ''} img-pending`} aria-hidden="true" />
  );
}
