/** Placeholder while this screen is being built in this session. */
export function OutreachScreen() {
  return <h1>Outreach</h1>;
}
