import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { spacePath } from '../api.js';
import { requestOf, type SearchState } from './search-query.js';

/**
 * The request(s) the form makes, as JSON and as a curl line, for a developer to copy into their
 * code. The curl line names `$MEMSPACE_KEY`: the console never writes the key anywhere.
 */
export function RequestDetails(props: { space: string; state: SearchState }): JSX.Element {
  const sides: ('a' | 'b')[] = props.state.compare ? ['a', 'b'] : ['a'];
  return (
    <details class="search-request">
      <summary>Request as JSON</summary>
      {sides.map((side) => (
        <RequestBlock key={side} space={props.space} title={props.state.compare ? `Settings ${side.toUpperCase()}` : undefined} request={requestOf(props.state, side)} />
      ))}
    </details>
  );
}

function RequestBlock(props: { space: string; title: string | undefined; request: ReturnType<typeof requestOf> }): JSX.Element {
  const [copied, setCopied] = useState('');
  if ('error' in props.request) return <p class="note warn">{props.request.error}</p>;
  const path = spacePath(props.space, '/search');
  const json = JSON.stringify(props.request.body, null, 2);
  const curl = `curl -s -X POST "${window.location.origin}${path}" \\\n  -H "authorization: Bearer $MEMSPACE_KEY" -H 'content-type: application/json' \\\n  -d '${JSON.stringify(props.request.body).replaceAll("'", "'\\''")}'`;
  const copy = (text: string): void => {
    // The clipboard may be refused (no permission, no secure context): the text stays there to select.
    const refused = (): void => setCopied('Could not copy: select the text instead.');
    if (navigator.clipboard === undefined) refused();
    else navigator.clipboard.writeText(text).then(() => setCopied('Copied.'), refused);
  };
  return (
    <div class="search-request-block">
      {props.title !== undefined && <p class="search-request-title">{props.title}</p>}
      <p class="mono">POST {path}</p>
      <pre class="search-json">{json}</pre>
      <pre class="search-curl">{curl}</pre>
      <div class="actions">
        <button type="button" onClick={() => copy(json)}>
          Copy JSON
        </button>
        <button type="button" onClick={() => copy(curl)}>
          Copy curl
        </button>
        <span role="status" class="muted">
          {copied}
        </span>
      </div>
    </div>
  );
}
