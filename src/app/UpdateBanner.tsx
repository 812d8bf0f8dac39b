import { useRegisterSW } from 'virtual:pwa-register/react';
import { useDrafts } from './shared/useDraftWhile.ts';

/**
 * Offers a new version of the app once it has downloaded. It is never applied on its own, and
 * never offered while a check-in or form is open. Every record is already on disk when it is
 * saved, and the database's versioned migrations carry unsynced records across the update.
 */
export function UpdateBanner() {
  const draftOpen = useDrafts((s) => s.open);
  const {
    needRefresh: [needRefresh],
    updateServiceWorker,
  } = useRegisterSW({
    immediate: true,
    // A tablet may stay open all day: look for a new version every hour, not only on reload.
    onRegisteredSW(_url, registration) {
      if (registration) setInterval(() => void registration.update().catch(() => undefined), 60 * 60_000);
    },
  });
  if (!needRefresh || draftOpen) return null;
  return (
    <div className="update-banner" role="region" aria-label="App update">
      <p>A new version of Footfall is ready. Everything you have recorded is saved.</p>
      <button type="button" onClick={() => updateServiceWorker(true)}>
        Update now
      </button>
    </div>
  );
}
