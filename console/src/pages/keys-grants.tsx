import type { JSX } from 'preact';
import type { Grant, Role } from '../identity.js';
import { Field } from '../ui/components.js';

/** The three kinds of grant the API takes (src/core/grants.ts). */
export type GrantKind = 'space' | 'prefix' | 'project';
export const ROLES: readonly Role[] = ['read', 'write', 'admin'];
/** What the name of a grant of each kind is. */
const KIND_LABEL: Record<GrantKind, string> = { space: 'Space', prefix: 'Prefix of space names', project: 'Project' };

/** A grant as the editor holds it: kind, name and role, whatever is typed yet. */
export interface GrantRow {
  kind: GrantKind;
  name: string;
  role: Role;
}

/** A grant as a person reads it: "admin on space x", "read on prefix team-", "read on every space (prefix "")". */
export function grantText(grant: Grant): string {
  if ('space' in grant) return `${grant.role} on space ${grant.space}`;
  if ('project' in grant) return `${grant.role} on project ${grant.project}`;
  return grant.prefix === '' ? `${grant.role} on every space (prefix "")` : `${grant.role} on prefix ${grant.prefix}`;
}

/** The grant the API takes for an editor row. */
export function grantOf(row: GrantRow): Grant {
  const name = row.name.trim();
  if (row.kind === 'space') return { space: name, role: row.role };
  if (row.kind === 'project') return { project: name, role: row.role };
  return { prefix: name, role: row.role };
}

/**
 * The rows of grants of a new key: kind, name and role each, with a button to take a row
 * out. Nothing is checked here beyond the form: the API refuses a grant beyond the caller's own.
 */
export function GrantsEditor(props: { rows: GrantRow[]; onChange(rows: GrantRow[]): void }): JSX.Element {
  const set = (i: number, patch: Partial<GrantRow>): void => props.onChange(props.rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  return (
    <fieldset class="keys-grants">
      <legend>Grants</legend>
      {props.rows.map((row, i) => (
        <div class="form-row keys-grant" key={i}>
          <Field id={`grant-kind-${i}`} label={`Kind (grant ${i + 1})`}>
            <select id={`grant-kind-${i}`} value={row.kind} onChange={(e) => set(i, { kind: e.currentTarget.value as GrantKind })}>
              <option value="space">space</option>
              <option value="prefix">prefix</option>
              <option value="project">project</option>
            </select>
          </Field>
          <Field id={`grant-name-${i}`} label={`${KIND_LABEL[row.kind]} (grant ${i + 1})`}>
            <input id={`grant-name-${i}`} value={row.name} spellcheck={false} autoComplete="off" onInput={(e) => set(i, { name: e.currentTarget.value })} />
          </Field>
          <Field id={`grant-role-${i}`} label={`Role (grant ${i + 1})`}>
            <select id={`grant-role-${i}`} value={row.role} onChange={(e) => set(i, { role: e.currentTarget.value as Role })}>
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          </Field>
          <button type="button" disabled={props.rows.length === 1} onClick={() => props.onChange(props.rows.filter((_, j) => j !== i))}>
            Remove grant {i + 1}
          </button>
        </div>
      ))}
      <button type="button" onClick={() => props.onChange([...props.rows, { kind: 'space', name: '', role: 'read' }])}>
        Add a grant
      </button>
    </fieldset>
  );
}
