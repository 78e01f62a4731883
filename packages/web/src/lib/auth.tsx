/**
 * The session: who is signed in, sign-in and sign-out. Signing in stores the token and
 * connects the client; signing out (or the server refusing the token) clears it and
 * disconnects.
 */
import { ApiError } from '@openeye/client';
import type { Role } from '@openeye/protocol';
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { loadCameras, resetCameras } from './cameras';
import { resetLive, seed } from './live';
import { api, client } from './services';
import { clearToken, decodeToken, isExpired, readToken, storeToken, TOKEN_KEY } from './session';
import { watched } from './watch';

export interface SessionUser {
  id: number;
  username: string;
  role: Role;
}

interface AuthValue {
  user: SessionUser | null;
  /** Why the user was signed out, shown on the sign-in page. */
  notice: string | null;
  login(username: string, password: string): Promise<void>;
  logout(notice?: string): void;
}

const AuthContext = createContext<AuthValue | null>(null);

function userFromToken(): SessionUser | null {
  const token = readToken();
  if (!token) return null;
  const claims = decodeToken(token);
  if (!claims || isExpired(claims)) {
    clearToken();
    return null;
  }
  return { id: Number(claims.sub), username: claims.username, role: claims.role };
}

/** A sentence for the sign-in form from whatever the login call threw. */
export function loginErrorMessage(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 401) return 'Wrong username or password.';
    if (error.status === 0) {
      return 'Cannot reach the OpenEye server. Check your network connection and that the server is running, then try again.';
    }
    if (error.status === 429) return 'Too many attempts. Wait a moment and try again.';
    if (error.status >= 500) return 'The server ran into a problem. Try again in a moment.';
    return error.message;
  }
  return 'Sign-in failed unexpectedly. Try again.';
}

const EXPIRED = 'Your session has ended. Please sign in again.';

export function AuthProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<SessionUser | null>(userFromToken);
  const [notice, setNotice] = useState<string | null>(null);

  const logout = useCallback((why?: string) => {
    clearToken();
    client.disconnect();
    resetLive();
    resetCameras();
    setNotice(why ?? null);
    setUser(null);
  }, []);

  const login = useCallback(async (username: string, password: string) => {
    const answer = await api.login(username, password);
    storeToken(answer.access_token);
    setNotice(null);
    setUser(userFromToken());
  }, []);

  // The tabs of this browser share one session (the token in localStorage) and one connection:
  // signed out in one tab, signed out in all; signed in as someone else, the page starts afresh.
  useEffect(() => {
    const onStorage = (event: StorageEvent) => {
      if (event.storageArea !== localStorage || (event.key !== TOKEN_KEY && event.key !== null)) return;
      const next = userFromToken();
      if (!next) {
        if (user) logout();
      } else if (user && next.id !== user.id) {
        window.location.reload();
      } else if (!user) {
        setNotice(null);
        setUser(next);
      }
    };
    window.addEventListener('storage', onStorage);
    return () => window.removeEventListener('storage', onStorage);
  }, [user, logout]);

  const userId = user?.id ?? null;
  useEffect(() => {
    if (userId === null) return;
    client.connect();
    const cameraIds = watched.get();
    void seed(api, cameraIds.length > 0 ? cameraIds : null);
    void loadCameras(api);
    let current = true;
    api.me().then(
      (me) => {
        if (current)
          setUser((u) =>
            u && u.id === me.id && u.role === me.role ? u : { id: me.id, username: me.username, role: me.role },
          );
      },
      (error: unknown) => {
        if (current && error instanceof ApiError && error.status === 401) logout(EXPIRED);
      },
    );
    const off = client.on('auth_error', () => logout(EXPIRED));
    return () => {
      current = false;
      off();
    };
  }, [userId, logout]);

  const value = useMemo(() => ({ user, notice, login, logout }), [user, notice, login, logout]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthValue {
  const value = useContext(AuthContext);
  if (!value) throw new Error('useAuth outside AuthProvider');
  return value;
}

/** The signed-in user; only inside the signed-in part of the app. */
export function useUser(): SessionUser {
  const { user } = useAuth();
  if (!user) throw new Error('useUser without a signed-in user');
  return user;
}

export function canEdit(role: Role): boolean {
  return role === 'admin' || role === 'producer';
}
