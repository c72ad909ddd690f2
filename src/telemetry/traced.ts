/**
 * The tracing decorator: wraps an object's methods in spans at composition time
 * (`src/memspace.ts`), so no service or store names a tracer. Only the port is imported: with
 * tracing off nothing is wrapped and OpenTelemetry is never loaded.
 */
import { outcomeOf, type ActiveSpan, type SpanStart, type Tracer } from '../core/ports/tracer.js';
import { validateSpaceName } from '../core/space-name.js';

/**
 * Where a traced method finds its space: the index of the argument that names it, a function
 * of the arguments, `many` for work across spaces, `none` for work on no space (keys).
 */
export type SpaceOf = number | ((args: readonly unknown[]) => unknown) | 'many' | 'none';

/** The methods of an object that get a span, each with where its space is. Others are left as they are. */
export type TracedMethods = Readonly<Record<string, SpaceOf>>;

/**
 * `target` with a span around each method of `methods`, named `<prefix>.<method>` (also its
 * `memspace.operation`). A span ends when the method's promise settles, or, for an async
 * iterable (an export), when its iteration ends. With tracing off, `target` itself.
 */
export function traced<T extends object>(tracer: Tracer, target: T, prefix: string, methods: TracedMethods): T {
  if (!tracer.enabled) return target;
  const wrappers = new Map<PropertyKey, unknown>();
  return new Proxy(target, {
    get(object, property) {
      const value: unknown = Reflect.get(object, property, object);
      if (typeof value !== 'function') return value;
      let wrapper = wrappers.get(property);
      if (wrapper === undefined) {
        const how = typeof property === 'string' && Object.hasOwn(methods, property) ? methods[property] : undefined;
        const fn = value as (...args: unknown[]) => unknown;
        // Called on the object itself, never on the proxy: private state stays reachable.
        wrapper = how === undefined ? fn.bind(object) : tracedMethod(tracer, object, fn, `${prefix}.${String(property)}`, how);
        wrappers.set(property, wrapper);
      }
      return wrapper;
    },
  });
}

function tracedMethod(tracer: Tracer, object: object, fn: (...args: unknown[]) => unknown, operation: string, how: SpaceOf): (...args: unknown[]) => unknown {
  return (...args: unknown[]) => {
    const span = tracer.start(startOf(operation, how, args));
    let result: unknown;
    try {
      result = span.run(() => fn.apply(object, args));
    } catch (error) {
      span.end(outcomeOf(error));
      throw error;
    }
    if (isPromiseLike(result)) {
      return result.then(
        (value) => {
          span.end('ok');
          return value;
        },
        (error: unknown) => {
          span.end(outcomeOf(error));
          throw error;
        },
      );
    }
    if (isAsyncGenerator(result)) return tracedIteration(result, span);
    span.end('ok');
    return result;
  };
}

function startOf(operation: string, how: SpaceOf, args: readonly unknown[]): SpanStart {
  if (how === 'many') return { name: operation, operation, manySpaces: true };
  if (how === 'none') return { name: operation, operation };
  return { name: operation, operation, space: spaceName(typeof how === 'number' ? args[how] : how(args)) };
}

/**
 * `value` when it is a valid space name, else undefined: an argument that is not a name (an
 * in-process caller's mistake, refused by the service) is never copied onto a span.
 */
export function spaceName(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    return validateSpaceName(value, { allowSystem: true });
  } catch {
    return undefined;
  }
}

/** The `name` of a record-like argument (a space record, a creation request). */
export function nameOf(value: unknown): unknown {
  return typeof value === 'object' && value !== null ? (value as { name?: unknown }).name : undefined;
}

/**
 * An async generator whose steps run in `span` (so the spans of the work they do nest under it),
 * ending it when the iteration ends: `ok` when done, the failure's code when it throws,
 * `cancelled` when the consumer stops early.
 */
function tracedIteration<T>(inner: AsyncGenerator<T>, span: ActiveSpan): AsyncGenerator<T> {
  const step = async (run: () => Promise<IteratorResult<T>>, early: boolean): Promise<IteratorResult<T>> => {
    try {
      const result = await span.run(run);
      if (early) span.end('cancelled');
      else if (result.done === true) span.end('ok');
      return result;
    } catch (error) {
      span.end(outcomeOf(error));
      throw error;
    }
  };
  const outer: AsyncGenerator<T> = {
    next: (...args) => step(() => inner.next(...args), false),
    return: (value) => step(() => inner.return(value), true),
    throw: (error) => step(() => inner.throw(error), false),
    [Symbol.asyncIterator]: () => outer,
  };
  return outer;
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

function isAsyncGenerator(value: unknown): value is AsyncGenerator<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { next?: unknown }).next === 'function' && Symbol.asyncIterator in value;
}
