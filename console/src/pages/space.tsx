import type { JSX } from 'preact';
import { api, ApiError, spacePath } from '../api.js';
import { useIdentity } from '../identity.js';
import { ErrorNote, Page } from '../ui/components.js';
import { useLoad } from '../ui/load.js';
import { SpaceTabs } from '../ui/space-tabs.js';
import { mayAdmin, SpaceActions } from './space-actions.js';
import { SpaceFigures, SpaceQuotas, type SpaceHealthView } from './space-figures.js';
import { SpaceHistory, type HealthHistoryView } from './space-history.js';
import { SpaceSettings, type SpaceSettingsView } from './space-settings.js';

interface SpaceData {
  health: SpaceHealthView;
  /** The space's settings; unreadable while it is archived (reading them opens the space). */
  settings: SpaceSettingsView | ApiError;
  history: HealthHistoryView;
}

/** Health first: it never opens the space, and answers for archived and damaged spaces too. */
async function loadSpace(space: string, signal: AbortSignal): Promise<SpaceData> {
  const health = await api<SpaceHealthView>('GET', spacePath(space, '/health'), { signal });
  const [settings, history] = await Promise.all([
    health.state === 'archived' || health.state === 'damaged'
      ? new ApiError(409, health.state === 'archived' ? 'SPACE_ARCHIVED' : 'BACKEND_UNAVAILABLE', `the space is ${health.state}: restore it to read its settings`)
      : api<SpaceSettingsView>('GET', spacePath(space), { signal }).catch((e: unknown) => (e instanceof ApiError ? e : Promise.reject(e))),
    api<HealthHistoryView>('GET', spacePath(space, '/health/history'), { signal }),
  ]);
  return { health, settings, history };
}

/** One space: its figures, quotas, last hour, settings and (for its admins) archive, restore and sweep. */
export function SpacePage(props: { space: string }): JSX.Element {
  const identity = useIdentity();
  const loaded = useLoad((signal) => loadSpace(props.space, signal), [props.space]);
  const data = loaded.data;
  const now = Date.now();
  const settings = data?.settings instanceof ApiError ? undefined : data?.settings;
  const admin = mayAdmin(identity, props.space, settings?.project);
  return (
    <Page title={props.space} ready={data !== undefined || loaded.error !== undefined}>
      <SpaceTabs space={props.space} current="" />
      <ErrorNote error={loaded.error} />
      {data !== undefined && (
        <>
          {settings !== undefined && settings.description !== '' && <p class="space-description">{settings.description}</p>}
          <h2>Figures</h2>
          <SpaceFigures health={data.health} now={now} />
          {data.health.error !== undefined && <div class="note error">Damaged: {data.health.error}</div>}
          <h2>Last hour</h2>
          <SpaceHistory history={data.history} />
          <h2>Quotas and retention</h2>
          <SpaceQuotas health={data.health} />
          <h2>Settings</h2>
          {settings === undefined ? (
            <ErrorNote error={data.settings} />
          ) : admin ? (
            <SpaceSettings key={settings.name} settings={settings} onSaved={loaded.reload} />
          ) : (
            <p class="muted">Only an admin of this space may change its settings.</p>
          )}
          {admin && (
            <>
              <h2>Actions</h2>
              <SpaceActions space={props.space} archived={data.health.state === 'archived'} onDone={loaded.reload} />
            </>
          )}
        </>
      )}
    </Page>
  );
}
