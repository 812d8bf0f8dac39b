/** What a person works as on a device; kept free of zod so the lock screen's first script can name them. */
export const ROLES = ['admin', 'frontDesk', 'outreach', 'casework'] as const;
