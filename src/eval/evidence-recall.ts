import { CATEGORIES, type CategoryName, type CategoryNumber } from './conversation-set.js';
import { recallAt, type RankedQuery } from './metrics.js';

/**
 * Evidence recall of a conversation benchmark: how many of the turns that answer the questions
 * a search brought back in its first k. Rankings and labels are dia ids.
 */

/** One question's ranking (dia ids, best first) and evidence turns. */
export interface RankedQuestion extends RankedQuery {
  category: CategoryNumber;
}

/** Recall@k for each k asked for. */
export type RecallAtK = Record<number, number>;

/** Evidence recall of one way of searching. */
export interface EvidenceRecall {
  /** Over every question. */
  all: RecallAtK;
  /** Over the questions of each category; null for a category without questions. */
  byCategory: Record<CategoryName, RecallAtK | null>;
}

/**
 * Pooled ("micro") evidence recall@k of a group of questions: the evidence turns found in the
 * top k over all the evidence turns of the group, sum(found) / sum(evidence). A question with
 * four evidence turns weighs four times one with one, which is what published LoCoMo retrieval
 * figures report. Computed as the mean of each question's recall weighted by its evidence count,
 * which is the same ratio. 0 for no questions.
 */
export function pooledRecallAt(questions: readonly RankedQuery[], k: number): number {
  let evidence = 0;
  let found = 0;
  for (const q of questions) {
    evidence += q.relevant.size;
    found += recallAt(q.ranked, q.relevant, k) * q.relevant.size;
  }
  return evidence === 0 ? 0 : found / evidence;
}

/** Question-averaged ("macro") recall@k: the mean of each question's recall, every question weighing the same. 0 for no questions. */
export function meanRecallAt(questions: readonly RankedQuery[], k: number): number {
  return questions.length === 0 ? 0 : questions.reduce((sum, q) => sum + recallAt(q.ranked, q.relevant, k), 0) / questions.length;
}

/** Pooled evidence recall at every k, over all questions and by category. */
export function evidenceRecall(questions: readonly RankedQuestion[], ks: readonly number[]): EvidenceRecall {
  const atEveryK = (group: readonly RankedQuestion[]): RecallAtK => Object.fromEntries(ks.map((k) => [k, pooledRecallAt(group, k)]));
  const byCategory = Object.fromEntries(
    Object.entries(CATEGORIES).map(([number, name]) => {
      const group = questions.filter((q) => q.category === Number(number));
      return [name, group.length === 0 ? null : atEveryK(group)];
    }),
  ) as Record<CategoryName, RecallAtK | null>;
  return { all: atEveryK(questions), byCategory };
}
