/**
 * Whether this screen only shows: a kiosk signed in with a kiosk key. The server refuses alert
 * actions to API keys (403), so their buttons are not shown, and nothing navigates away from the
 * wall.
 */
import { createContext, useContext } from 'react';

export const ReadOnly = createContext(false);

export function useReadOnly(): boolean {
  return useContext(ReadOnly);
}
