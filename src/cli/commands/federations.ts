import { InvalidArgumentError, Option, type Command } from 'commander';
import { definedOnly } from '../../core/defined.js';
import type { FederationView, ReleaseView } from '../../core/federation-views.js';
import type { CliContext } from '../cli-context.js';
import { fields, nextPageHint, table } from '../format.js';
import { toInt, toNumber } from '../options.js';

/** A subcommand of `federations`, which runs against the server of `--url` too. */
function command(ctx: CliContext, parent: Command, usage: string, description: string): Command {
  return ctx.apiCommand(parent, usage, description);
}

/** Commander's parser of a JSON option. */
function toJson(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    throw new InvalidArgumentError(`not JSON: ${value}`);
  }
}

/** Registers `federations create|list|info|join|leave|release|releases|space`. */
export function registerFederations(program: Command, ctx: CliContext): void {
  const group = ctx.command(program, 'federations', 'differentially private insights across federated spaces (docs/federations.md)');
  command(ctx, group, 'create <topic>', 'create a federation (operator)')
    .addOption(new Option('--mechanism <mechanism>', 'noise mechanism').choices(['laplace', 'gaussian']).default('laplace'))
    .requiredOption('--epsilon <e>', 'epsilon each release spends from every contributor', toNumber)
    .option('--delta <d>', 'delta, for the gaussian mechanism', toNumber)
    .option('--min-participants <n>', 'fewest contributors of a release', toInt, 2)
    .action(async (topic: string, o: { mechanism: string; epsilon: number; delta?: number; minParticipants: number }) => {
      const f = await ctx.backend().federations.create({
        topic,
        mechanism: o.mechanism as 'laplace',
        epsilonPerRelease: o.epsilon,
        minParticipants: o.minParticipants,
        ...definedOnly({ delta: o.delta }),
      });
      ctx.print(f, () => `created federation ${f.id} (${f.mechanism}, epsilon ${f.epsilonPerRelease} per release, at least ${f.minParticipants} participants)\n`);
    });
  command(ctx, group, 'list', 'the federations you may see')
    .option('--limit <n>', 'most federations to show', toInt, 100)
    .option('--cursor <id>', 'continue after this federation')
    .action(async (o: { limit: number; cursor?: string }) => {
      const page = await ctx.backend().federations.list({ limit: o.limit, ...definedOnly({ cursor: o.cursor }) });
      ctx.print(page, () =>
        table(
          ['ID', 'TOPIC', 'MECHANISM', 'EPSILON', 'PARTICIPANTS', 'RELEASES'],
          page.items.map((f) => [f.id, f.topic, f.mechanism, f.epsilonPerRelease, f.participants, f.releases]),
        ) + nextPageHint(page.nextCursor),
      );
    });
  command(ctx, group, 'info <id>', 'a federation: participants and reputation for operators, your own account for participant admins').action(async (id: string) => {
    const f = await ctx.backend().federations.get(id);
    ctx.print(f, () => federationText(f));
  });
  participationCommands(ctx, group);
  releaseCommands(ctx, group);
}

function participationCommands(ctx: CliContext, group: Command): void {
  command(ctx, group, 'join <id> <space>', 'opt a space of isolation federated in (admin of the space)')
    .requiredOption('--budget <e>', 'total epsilon this federation may spend from the space', toNumber)
    .addOption(new Option('--privacy <privacy>', 'anonymized: never named in the federation').choices(['differential', 'anonymized']).default('differential'))
    .action(async (id: string, space: string, o: { budget: number; privacy: 'differential' | 'anonymized' }) => {
      const p = await ctx.backend().federations.join(id, { space, epsilonBudget: o.budget, privacy: o.privacy });
      ctx.print(p, () => `space ${p.space} joined federation ${p.federation} with a budget of epsilon ${p.epsilonBudget} (${p.epsilonSpent} spent)\n`);
    });
  command(ctx, group, 'leave <id> <space>', 'withdraw a space (admin of the space)').action(async (id: string, space: string) => {
    await ctx.backend().federations.leave(id, space);
    ctx.print({ withdrawn: space, federation: id }, () => `space ${space} withdrew from federation ${id}\n`);
  });
  command(ctx, group, 'space <space>', "a space's participations, budgets and epsilon spent (admin of the space)").action(async (space: string) => {
    const v = await ctx.backend().federations.ofSpace(space);
    ctx.print(v, () =>
      table(
        ['FEDERATION', 'TOPIC', 'STATUS', 'BUDGET', 'SPENT', 'REMAINING', 'CONTRIBUTIONS', 'CLIPPED'],
        v.items.map((p) => [p.federation, p.topic, p.status, p.epsilonBudget, p.epsilonSpent, p.epsilonRemaining, p.reputation.contributions, p.reputation.clipped]),
      ) + `total epsilon spent: ${v.totalEpsilonSpent}\n`,
    );
  });
}

function releaseCommands(ctx: CliContext, group: Command): void {
  command(ctx, group, 'release <id> <kind>', 'compute one release: histogram, mean, terms or centroid (operator)')
    .option('--params <json>', 'the parameters of the kind, as JSON (docs/federations.md)', toJson, {})
    .action(async (id: string, kind: string, o: { params: unknown }) => {
      const r = await ctx.backend().federations.release(id, { kind, params: o.params } as never);
      ctx.print(r, () => releaseText(r));
    });
  command(ctx, group, 'releases <id>', "a federation's releases, oldest first")
    .option('--limit <n>', 'most releases to show', toInt, 100)
    .option('--cursor <seq>', 'continue after this release')
    .action(async (id: string, o: { limit: number; cursor?: string }) => {
      const page = await ctx.backend().federations.releases(id, { limit: o.limit, ...definedOnly({ cursor: o.cursor }) });
      ctx.print(page, () =>
        table(
          ['SEQ', 'KIND', 'STATE', 'CONTRIBUTORS', 'EPSILON', 'CREATED'],
          page.items.map((r) => [r.seq, r.kind, r.state, r.contributors, r.epsilon, r.createdAt]),
        ) + nextPageHint(page.nextCursor),
      );
    });
}

function federationText(f: FederationView): string {
  const head = fields([
    ['id', f.id],
    ['topic', f.topic],
    ['mechanism', `${f.mechanism}, epsilon ${f.epsilonPerRelease} per release${f.delta === null ? '' : `, delta ${f.delta}`}`],
    ['participants', `${f.participants} active (releases need ${f.minParticipants})`],
    ['releases', String(f.releases)],
  ]);
  const rows = (f.participantList ?? []).map((p) => [p.name, p.status, p.epsilonBudget, p.epsilonSpent, p.reputation.contributions, p.reputation.clipped, p.reputation.clippedRate.toFixed(2)]);
  const mine = (f.yours ?? []).map((p) => [p.space, p.status, p.epsilonBudget, p.epsilonSpent, p.reputation.contributions, p.reputation.clipped, p.reputation.clippedRate.toFixed(2)]);
  const all = [...rows, ...mine];
  return all.length === 0 ? head : head + table(['PARTICIPANT', 'STATUS', 'BUDGET', 'SPENT', 'CONTRIBUTIONS', 'CLIPPED', 'CLIPPED RATE'], all);
}

function releaseText(r: ReleaseView): string {
  return `release ${r.seq} of federation ${r.federation}: ${r.kind}, ${r.contributors} contributors, epsilon ${r.epsilon} spent by each\n${JSON.stringify(r.result, null, 2)}\n`;
}
