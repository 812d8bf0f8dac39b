/**
 * The enrolment code a QR link carries (#enrol=…): after the #, so it never reaches a server or
 * its logs, and dropped from the address once used.
 */
export function enrolCodeFromLink(): string | null {
  const match = /[#&]enrol=([^&]+)/.exec(location.hash);
  return match ? decodeURIComponent(match[1]!) : null;
}

export function forgetEnrolLink(): void {
  history.replaceState(null, '', location.pathname);
}
