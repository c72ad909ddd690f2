import type { JSX } from 'preact';
import { Link, Page } from '../ui/components.js';

export function NotFoundPage(): JSX.Element {
  return (
    <Page title="No such page" ready={true}>
      <p>
        This console has no page here. <Link to="/spaces">See the spaces</Link>.
      </p>
    </Page>
  );
}
