/**
 * The server's side of the translation between memspace.v1 messages and what the engine takes:
 * a request means exactly what the same JSON means over REST (views go back as messages through
 * src/wire/messages.ts, which the client reads them with).
 */
import type { AddMemoryRequest, FeedbackRequestMessage, RerankRequestMessage } from '../wire/messages.js';
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

/** A feedback request as the REST body of `POST …/feedback`: empty texts and a zero weight are unset, as proto3 has them. */
export function feedbackBody(r: FeedbackRequestMessage): Record<string, unknown> {
  return {
    ...fromStruct(r.options),
    ...(r.query !== '' && { query: r.query }),
    ...(r.results.length > 0 && { results: r.results.map((item) => ({ id: item.id, signal: item.signal, ...(item.kind !== '' && { kind: item.kind }), ...(item.text !== '' && { text: item.text }) })) }),
    ...(r.weight !== 0 && { weight: r.weight }),
  };
}

/** A rerank request as the REST body of `POST …/rerank`. */
export function rerankBody(r: RerankRequestMessage): Record<string, unknown> {
  return {
    ...fromStruct(r.options),
    ...(r.query !== '' && { query: r.query }),
    ...(r.documents.length > 0 && { documents: r.documents.map((d) => ({ id: d.id, text: d.text })) }),
    ...(r.limit > 0 && { limit: r.limit }),
  };
}
