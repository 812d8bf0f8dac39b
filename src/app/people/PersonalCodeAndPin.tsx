import { SecretInput } from '../shared/SecretInput.tsx';

interface CodeAndPinProps {
  code: string;
  setCode: (v: string) => void;
  pin: string;
  setPin: (v: string) => void;
  pin2: string;
  setPin2: (v: string) => void;
}

/** Her personal code and the PIN she chooses, twice: the same fields wherever a person sets her PIN. */
export function PersonalCodeAndPin({ code, setCode, pin, setPin, pin2, setPin2 }: CodeAndPinProps) {
  return (
    <>
      <label>
        Your personal code
        <SecretInput kind="code" value={code} onChange={setCode} />
      </label>
      <label>
        Choose your PIN (6 to 12 digits)
        <SecretInput kind="pin" value={pin} onChange={setPin} />
      </label>
      <label>
        Your PIN again
        <SecretInput kind="pin" value={pin2} onChange={setPin2} />
      </label>
    </>
  );
}
