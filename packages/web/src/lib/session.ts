/**
 * The signed-in user's token, kept in localStorage under `token` as the guide does, and what
 * the dashboard can read from it without asking the server (the JWT's claims).
 */
import type { Role } from '@openeye/protocol';

export const TOKEN_KEY = 'token';

export interface TokenClaims {
  sub: string;
  username: string;
  role: Role;
  exp: number;
  iat: number;
}

function storage(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}

export function readToken(): string | null {
  return storage()?.getItem(TOKEN_KEY) ?? null;
}

export function storeToken(token: string): void {
  storage()?.setItem(TOKEN_KEY, token);
}

export function clearToken(): void {
  storage()?.removeItem(TOKEN_KEY);
}

/** The claims of a JWT, or null when it is not one. The signature is the server's business. */
export function decodeToken(token: string): TokenClaims | null {
  const part = token.split('.')[1];
  if (!part) return null;
  try {
    const json = atob(
      part
        .replace(/-/g, '+')
        .replace(/_/g, '/')
        .padEnd(Math.ceil(part.length / 4) * 4, '='),
    );
    const claims = JSON.parse(json) as Partial<TokenClaims>;
    if (typeof claims.username !== 'string' || typeof claims.exp !== 'number' || typeof claims.role !== 'string') {
      return null;
    }
    return claims as TokenClaims;
  } catch {
    return null;
  }
}

/** Whether the token's `exp` is in the past (with a little slack for clock skew). */
export function isExpired(claims: TokenClaims, now = Date.now()): boolean {
  return claims.exp * 1000 <= now + 1000;
}

/** Read a JSON value from localStorage, or the fallback when it is missing or unreadable. */
export function readJson<T>(key: string, fallback: T): T {
  try {
    const text = storage()?.getItem(key);
    return text ? (JSON.parse(text) as T) : fallback;
  } catch {
    return fallback;
  }
}

export function writeJson(key: string, value: unknown): void {
  try {
    storage()?.setItem(key, JSON.stringify(value));
  } catch {
    // private mode or full storage: the preference only lasts for this page
  }
}
