/**
 * The unlocked device core, handed to every screen behind the lock screen by the shell. Screens
 * pass it to the actions they call; they never look it up anywhere else.
 */
import { createContext, useContext } from 'react';
import type { DeviceCore } from '../core/core.ts';

export const CoreContext = createContext<DeviceCore | null>(null);

export function useCore(): DeviceCore {
  const core = useContext(CoreContext);
  if (!core) throw new Error('This screen needs an unlocked device.');
  return core;
}
