/** A mistake in how pktlens was called: one line on stderr, exit status 2. */
export class UsageError extends Error {}
