/** Thrown by a command that is planned but not built yet; the CLI exits 2. */
export class NotBuiltError extends Error {}
