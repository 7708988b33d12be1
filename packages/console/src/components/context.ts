import { createContext } from 'preact';
import { useContext } from 'preact/hooks';

import type { ApiClient } from '../api/client.js';

/** What every page gets: the API client of the signed-in token, and whether it is the admin's. */
export interface ConsoleContext {
  api: ApiClient;
  admin: boolean;
}

export const Console = createContext<ConsoleContext | undefined>(undefined);

export function useConsole(): ConsoleContext {
  const value = useContext(Console);
  if (value === undefined) throw new Error('useConsole outside a signed-in console');
  return value;
}
