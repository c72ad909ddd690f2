/**
 * The server's side of the translation between memspace.v1 messages and what the engine takes:
 * a request means exactly what the same JSON means over REST (views go back as messages through
 * src/wire/messages.ts, which the client reads them with).
 */
import type { AddMemoryRequest } from '../wire/messages.js';
import { fromStruct } from '../wire/struct.js';

/** An add request as the REST body of an add: only the fields given. */
export function memoryInput(r: AddMemoryRequest): Record<string, unknown> {
  const metadata = fromStruct(r.metadata);
  return {
    ...fromStruct(r.fields),
    content: r.content,
    ...(r.id !== '' && { id: r.id }),
    ...(r.tags.length > 0 && { tags: r.tags }),
    ...(metadata !== undefined && { metadata }),
    ...(r.embedding.length > 0 && { embedding: r.embedding }),
  };
}
