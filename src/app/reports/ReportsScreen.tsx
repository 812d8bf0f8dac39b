/** Placeholder while this screen is being built in this session. */
export function ReportsScreen() {
  return <h1>Reports</h1>;
}
