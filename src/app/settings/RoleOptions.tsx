import { ROLE_LABELS } from '../modes.ts';

/** The options of a role select: the same four roles, in the same words, wherever one is chosen. */
export function RoleOptions() {
  return (
    <>
      {Object.entries(ROLE_LABELS).map(([value, label]) => (
        <option key={value} value={value}>
          {label}
        </option>
      ))}
    </>
  );
}
