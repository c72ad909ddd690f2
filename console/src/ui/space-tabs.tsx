import type { JSX } from 'preact';
import { Link } from './components.js';

/** The pages of one space, as tabs under its name. */
const TABS = [
  { path: '', label: 'Overview' },
  { path: '/memories', label: 'Memories' },
  { path: '/search', label: 'Search' },
  { path: '/audit', label: 'Audit' },
  { path: '/live', label: 'Live' },
  { path: '/shares', label: 'Shares' },
] as const;

export function SpaceTabs(props: { space: string; current: (typeof TABS)[number]['path'] }): JSX.Element {
  const base = `/spaces/${encodeURIComponent(props.space)}`;
  return (
    <nav class="tabs" aria-label={`Space ${props.space}`}>
      {TABS.map((tab) => (
        <Link key={tab.path} to={`${base}${tab.path}`} current={tab.path === props.current}>
          {tab.label}
        </Link>
      ))}
    </nav>
  );
}
