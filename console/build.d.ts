/** Builds the web console into `out` (default dist/console); resolves with that directory. */
export function buildConsole(out?: string): Promise<string>;
