/** Tails of the chains of calls per key, per scope. */
const chains = new WeakMap<object, Map<string, Promise<unknown>>>();

/**
 * Runs `fn` after every earlier call with the same `scope` and `key` has settled, whether it
 * succeeded or failed; returns or throws what `fn` does. Scopes never wait on each other.
 */
export async function runInTurn<T>(scope: object, key: string, fn: () => Promise<T>): Promise<T> {
  let tails = chains.get(scope);
  if (tails === undefined) chains.set(scope, (tails = new Map()));
  const previous = tails.get(key) ?? Promise.resolve();
  const run = previous.then(fn, fn);
  const tail = run.then(
    () => undefined,
    () => undefined,
  );
  tails.set(key, tail);
  try {
    return await run;
  } finally {
    // The last in line removes the chain, so the map holds only keys being worked on.
    if (tails.get(key) === tail) tails.delete(key);
  }
}
