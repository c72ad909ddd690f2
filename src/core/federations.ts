/**
 * Federations at the edge: the requests that create one, join one and ask for a release,
 * validated with zod (docs/federations.md explains every bound).
 */
import { z } from 'zod';
import { FilterSchema } from './schemas.js';
import { MECHANISMS } from './privacy.js';

/** Privacy budgets are kept in millionths of ε, so that spending is exact integer arithmetic. */
export const MICRO = 1_000_000;

/** ε as the catalogue keeps it: a whole number of millionths. */
export function toMicro(epsilon: number): number {
  return Math.round(epsilon * MICRO);
}

/** ε of a number of millionths. */
export function fromMicro(micro: number): number {
  return micro / MICRO;
}

/** An ε: positive, at most `max`, and a whole number of millionths (what the accounts can hold exactly). */
const epsilon = (max: number) =>
  z
    .number()
    .gt(0)
    .max(max)
    .refine((e) => Math.abs(e * MICRO - Math.round(e * MICRO)) < 1e-6 && Math.round(e * MICRO) >= 1, 'epsilon is given in steps of 0.000001');

/** Largest ε of one release: beyond it the noise protects next to nothing. */
export const MAX_EPSILON_PER_RELEASE = 10;
/** Largest budget a participant may give a federation. */
export const MAX_EPSILON_BUDGET = 1000;

/** A new federation (`POST /v1/federations`). */
export const FederationCreateSchema = z
  .strictObject({
    topic: z.string().min(1).max(200),
    mechanism: z.enum(MECHANISMS),
    epsilonPerRelease: epsilon(MAX_EPSILON_PER_RELEASE),
    /** Required by, and only allowed with, the Gaussian mechanism. */
    delta: z.number().gt(0).max(1e-3).optional(),
    minParticipants: z.number().int().min(2).max(10_000),
  })
  .superRefine((f, ctx) => {
    if (f.mechanism === 'gaussian' && f.delta === undefined) ctx.addIssue({ code: 'custom', path: ['delta'], message: 'the gaussian mechanism needs delta' });
    if (f.mechanism === 'laplace' && f.delta !== undefined) ctx.addIssue({ code: 'custom', path: ['delta'], message: 'the laplace mechanism takes no delta' });
    // The classic Gaussian mechanism's proof covers epsilon <= 1 only (core/privacy.ts).
    if (f.mechanism === 'gaussian' && f.epsilonPerRelease > 1) ctx.addIssue({ code: 'custom', path: ['epsilonPerRelease'], message: 'the gaussian mechanism needs epsilonPerRelease <= 1' });
  });
/** Parsed federation options. */
export type FederationCreate = z.output<typeof FederationCreateSchema>;

/** How a participant appears: `differential` by its name to operators, `anonymized` never by name. */
export const PARTICIPANT_PRIVACY = ['differential', 'anonymized'] as const;
/** One participant privacy option. */
export type ParticipantPrivacy = (typeof PARTICIPANT_PRIVACY)[number];

/** A space joining a federation (`POST /v1/federations/{id}/participants`). */
export const ParticipantJoinSchema = z.strictObject({
  space: z.string().min(1).max(64),
  privacy: z.enum(PARTICIPANT_PRIVACY).default('differential'),
  epsilonBudget: epsilon(MAX_EPSILON_BUDGET),
});
/** Parsed join request. */
export type ParticipantJoin = z.output<typeof ParticipantJoinSchema>;

const label = z.string().min(1).max(128);
/** Smallest number of participants that must hold a discovered label or term; never below 2. */
const k = z.number().int().min(2).max(10_000).optional();

/** Histogram of tags, kinds or a metadata value. */
const HistogramParams = z
  .strictObject({
    field: z.enum(['tags', 'kind', 'metadata']),
    key: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'a metadata key of letters, digits, "_" or "-"').optional(),
    /** Public bins: the labels to count, chosen without looking at the data. */
    bins: z.array(label).min(1).max(1000).optional(),
    /** `share`: each space contributes its fractions (L1 = 1); `count`: its counts clipped to a norm of `clip`. */
    contribution: z.enum(['share', 'count']).default('share'),
    clip: z.number().gt(0).max(1_000_000).default(100),
    /** Most labels one space contributes when bins are discovered. */
    labelsPerSpace: z.number().int().min(1).max(100).default(20),
    k,
    /** A discovered label is released only when its noisy value reaches this. @default 2 × the noise's standard deviation */
    threshold: z.number().min(0).optional(),
    filter: FilterSchema.optional(),
  })
  .superRefine((p, ctx) => {
    if (p.field === 'metadata' && p.key === undefined) ctx.addIssue({ code: 'custom', path: ['key'], message: 'a metadata histogram needs key' });
    if (p.field !== 'metadata' && p.key !== undefined) ctx.addIssue({ code: 'custom', path: ['key'], message: 'key is only for field metadata' });
    if (p.bins !== undefined && new Set(p.bins).size !== p.bins.length) ctx.addIssue({ code: 'custom', path: ['bins'], message: 'bins must be distinct' });
  });

/** Mean of a numeric metadata value. */
const MeanParams = z
  .strictObject({
    key: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'a metadata key of letters, digits, "_" or "-"'),
    lower: z.number().min(-1e12).max(1e12),
    upper: z.number().min(-1e12).max(1e12),
    filter: FilterSchema.optional(),
  })
  .refine((p) => p.upper > p.lower, { path: ['upper'], message: 'upper must be greater than lower' });

/** The words most participants' memories use. */
const TermsParams = z.strictObject({
  /** Words each space contributes (its most frequent ones), once each. */
  termsPerSpace: z.number().int().min(1).max(50).default(10),
  /** Most words released. */
  limit: z.number().int().min(1).max(200).default(20),
  k,
  /** A word is released only when its noisy count reaches this. @default k */
  threshold: z.number().min(0).optional(),
  filter: FilterSchema.optional(),
});

/** The mean embedding of memories on a topic. */
const CentroidParams = z.strictObject({
  tag: label.optional(),
  filter: FilterSchema.optional(),
  /** L2 bound of each space's mean vector; unit vectors' means are within 1 already. */
  clip: z.number().gt(0).max(1).default(1),
});

/** A release request (`POST /v1/federations/{id}/releases`). */
export const ReleaseRequestSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('histogram'), params: HistogramParams }),
  z.strictObject({ kind: z.literal('mean'), params: MeanParams }),
  z.strictObject({ kind: z.literal('terms'), params: TermsParams.default({ termsPerSpace: 10, limit: 20 }) }),
  z.strictObject({ kind: z.literal('centroid'), params: CentroidParams.default({ clip: 1 }) }),
]);
/** Parsed release request. */
export type ReleaseRequest = z.output<typeof ReleaseRequestSchema>;
/** The kinds of insight. */
export type InsightKind = ReleaseRequest['kind'];
/** Parsed histogram parameters. */
export type HistogramRequest = z.output<typeof HistogramParams>;
/** Parsed mean parameters. */
export type MeanRequest = z.output<typeof MeanParams>;
/** Parsed terms parameters. */
export type TermsRequest = z.output<typeof TermsParams>;
/** Parsed centroid parameters. */
export type CentroidRequest = z.output<typeof CentroidParams>;

/** Options of a federation or release listing. */
export const FederationPageQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(200).optional(),
});
/** Parsed listing options. */
export type FederationPageQuery = z.output<typeof FederationPageQuerySchema>;
