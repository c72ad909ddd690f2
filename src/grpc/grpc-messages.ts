/**
 * The server's side of the translation between memspace.v1 messages and what the engine takes:
 * a request means exactly what the same JSON means over REST, and a view goes back as its
 * message (the shared part, `Memory`, is in src/wire/messages.ts).
 */
import type { AddMemoryRequest, SpaceMessage } from '../wire/messages.js';
import { fromStruct, toStruct } from '../wire/struct.js';

/** A space view as a `Space`: its name, the rest as a Struct. */
export function spaceMessage(view: object): SpaceMessage {
  const { name, ...fields } = view as { name: string } & Record<string, unknown>;
  return { name, fields: toStruct(fields) };
}

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
