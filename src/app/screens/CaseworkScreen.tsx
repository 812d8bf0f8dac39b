/** Placeholder while this screen is being built in this session. */
export function CaseworkScreen() {
  return <h1>Casework</h1>;
}
