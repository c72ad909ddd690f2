/** The markers of the comparison section of bench/RESULTS.md: `compare.ts` writes it, `run.ts` keeps it. */
export const COMPARISON_START = '<!-- comparison:start -->';
export const COMPARISON_END = '<!-- comparison:end -->';
