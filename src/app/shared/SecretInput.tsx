import type { ChangeEvent } from 'react';

/**
 * What a secret field holds: a PIN (digits, masked), the organisation passphrase (masked), or a
 * code typed from paper (a recovery, personal or device code: shown, so it can be checked
 * against the paper as it is typed).
 */
export type SecretKind = 'pin' | 'passphrase' | 'code';

interface Props {
  kind: SecretKind;
  value: string;
  onChange: (value: string) => void;
  disabled?: boolean;
  autoFocus?: boolean;
}

/**
 * Where the browser can mask a text field itself, a masked field needs no type="password":
 * Chromium's password manager (and Safari's keychain) only look at password fields, so a form
 * with none is never offered for saving and nothing typed in it reaches the profile's Login
 * Data (docs/security.md#the-browsers-memory-of-forms). Asked at each render, so a test can
 * answer for a browser without it.
 */
export function masksTextFields(): boolean {
  return typeof CSS !== 'undefined' && typeof CSS.supports === 'function' && CSS.supports('-webkit-text-security', 'disc');
}

/**
 * Every PIN, passphrase and code field of the app: never type="password" where the browser can
 * mask text (a password field only where it cannot), autocomplete off so autofill and session
 * restore keep nothing, no spelling or capital suggestions. Put it inside its <label>.
 */
export function SecretInput({ kind, value, onChange, disabled, autoFocus }: Props) {
  const masked = kind !== 'code';
  const asText = !masked || masksTextFields();
  return (
    <input
      type={asText ? 'text' : 'password'}
      className={masked && asText ? 'masked' : undefined}
      inputMode={kind === 'pin' ? 'numeric' : 'text'}
      autoComplete="off"
      autoCapitalize={kind === 'code' ? 'characters' : 'off'}
      autoCorrect="off"
      spellCheck={false}
      value={value}
      disabled={disabled}
      autoFocus={autoFocus}
      onChange={(e: ChangeEvent<HTMLInputElement>) => onChange(e.target.value)}
    />
  );
}
