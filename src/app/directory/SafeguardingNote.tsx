import { useSession } from '../store.ts';

/**
 * The centre's safeguarding note (Settings), as an alert wherever a woman whose age band is under
 * 18 is registered or chosen: at the front desk's check-in as on outreach and casework.
 */
export function SafeguardingNote({ ageBand }: { ageBand: string | undefined }) {
  const { terms, safeguardingNote } = useSession().config;
  if (!terms.ageBand.some((b) => b.under18 && b.key === ageBand)) return null;
  return (
    <p role="alert" className="safeguarding">
      {safeguardingNote}
    </p>
  );
}
