import type { Term } from '../../domain/config.ts';

/** Big toggle buttons, one per service; a retired service shows only where a visit has it. */
export function ServicePicker({ services, value, onChange }: { services: Term[]; value: string[]; onChange: (next: string[]) => void }) {
  const shown = services.filter((s) => !s.retired || value.includes(s.key));
  return (
    <fieldset className="services">
      <legend>Services given</legend>
      <div className="tiles">
        {shown.map((s) => {
          const on = value.includes(s.key);
          return (
            <button
              key={s.key}
              type="button"
              className="tile"
              aria-pressed={on}
              onClick={() => onChange(on ? value.filter((k) => k !== s.key) : [...value, s.key])}
            >
              <span aria-hidden="true" className="tick">
                {on ? '✓' : ''}
              </span>
              {s.label}
            </button>
          );
        })}
      </div>
    </fieldset>
  );
}
