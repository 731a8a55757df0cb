import { createContext, type ReactNode, useContext } from 'react';
import type { Me } from '../api/types';

/** The signed-in person, for the pages that need their name or rights. */
export interface SessionValue {
  me: Me;
  signOut(): Promise<void>;
}

const SessionContext = createContext<SessionValue | null>(null);

export function SessionProvider({ value, children }: { value: SessionValue; children: ReactNode }) {
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside a signed-in page');
  return value;
}
