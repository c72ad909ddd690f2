/**
 * The duplicate rule of consolidation (issue 19): when two memories of one scope say the same
 * thing, so that merging them loses nothing. Pure; the study that chose it is
 * `bench/consolidation-thresholds.ts` over `bench/data/consolidation-pairs.jsonl`.
 *
 * Why a lexical rule: with the default local embedder (USE lite) no cosine threshold reaches the
 * 0.98 merge precision a merge needs (cosine ≥ 0.8 merged "flies to Dublin" with "flies back
 * from Dublin": precision 0.42). The rule that does is a normalised word-level identity: the
 * same content words in the same order once case, lead-ins ("Note:"), stop words, simple
 * suffixes and the forms of currencies, numbers and times are set aside; numbers and dates,
 * negation and named entities must agree. Cosine only picks the candidates (≥ 0.6 by default).
 * On the labelled set: precision 1.00, recall 0.22 (near-verbatim repeats); paraphrases are
 * left to a chat model.
 */

/** Words that carry no content of their own; left out of the words two statements are compared on. */
export const STOPWORDS = new Set(
  (
    'a an the and or but if so as of to in on at by for with about than then there here this that these those ' +
    'is are was were be been being am has have had having do does did will would shall should can could may might must ' +
    'i me my mine we us our ours you your yours he him his she her hers it its they them their theirs ' +
    'what which who whom whose when where why how all any each every both some such own same other just also very really ' +
    'too per via e g etc s re ll ve d m'
  ).split(' '),
);
/** Words that negate a statement: two statements agree only when both or neither is negated. */
export const NEGATIONS = new Set(['not', 'no', 'never', 'none', 'nobody', 'nothing', 'neither', 'nor', 'without', 'cannot']);
const NUMBER_WORDS: Readonly<Record<string, number>> = {
  zero: 0, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10, eleven: 11, twelve: 12,
  thirteen: 13, fourteen: 14, fifteen: 15, sixteen: 16, seventeen: 17, eighteen: 18, nineteen: 19, twenty: 20, thirty: 30,
  forty: 40, fifty: 50, sixty: 60, seventy: 70, eighty: 80, ninety: 90, hundred: 100, dozen: 12, once: 1, twice: 2,
  first: 1, second: 2, third: 3, fourth: 4, fifth: 5, sixth: 6, seventh: 7, eighth: 8, ninth: 9, tenth: 10,
};
const DAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
/** Abbreviations, matched only when capitalised ("Sat", not "sat"; "May", not "may"). */
export const DATE_ABBREVIATIONS: Readonly<Record<string, string>> = {
  Mon: 'monday', Tue: 'tuesday', Tues: 'tuesday', Wed: 'wednesday', Thu: 'thursday', Thurs: 'thursday', Fri: 'friday', Sat: 'saturday', Sun: 'sunday',
  Jan: 'january', Feb: 'february', Mar: 'march', Apr: 'april', May: 'may', Jun: 'june', Jul: 'july', Aug: 'august', Sep: 'september', Sept: 'september', Oct: 'october', Nov: 'november', Dec: 'december',
};
const CURRENCY = /^(?:eur|euros?|usd|dollars?|gbp|pounds?)$/i;
/** Lead-ins that say nothing about the fact ("Note:", "FYI", "Remember that"). */
const LEAD_IN = /^\s*(?:note|reminder|fyi|memory|important|remember(?: that)?|don'?t forget)\b\s*[:,-]?\s*/i;
/** Currency words and symbols, one token per currency, so "£950", "950 pounds" and "950 GBP" say the same. */
export const CURRENCIES: readonly [RegExp, string][] = [
  [/£|\b(?:gbp|pounds?)\b/gi, ' gbp '],
  [/€|\b(?:eur|euros?)\b/gi, ' eur '],
  [/\$|\b(?:usd|dollars?)\b/gi, ' usd '],
];
/** Words for the user, who is an entity of their own: "I'm allergic" and "The user is allergic" name the same person. */
export const USER_WORDS = new Set(['user', 'i', 'me', 'my', 'mine', 'myself']);
/** The token every word of {@link USER_WORDS} becomes. */
export const USER = '@user';
const UNIT_SUFFIX = /^\d+(?:k|km|kg|mg|am|pm|st|nd|rd|th|s|h|m|x)$/i;

/** A code such as "4B", "XC40", "1Password" or "LEDG-2291" (not "5k", "10mg" or "12th", which are numbers). */
export function isIdentifier(w: string): boolean {
  return (/^[A-Za-z0-9]+$/.test(w) && /\d/.test(w) && /[A-Za-z]/.test(w) && !UNIT_SUFFIX.test(w)) || /^[A-Z]{2,}-\d+$/.test(w);
}

/** Lead-ins dropped, contractions expanded, possessives dropped, curly quotes straightened. */
export function clean(text: string): string {
  return text
    .replace(LEAD_IN, '')
    .replace(/[‘’]/g, "'")
    .replace(/\bcan't\b/gi, 'can not')
    .replace(/\bwon't\b/gi, 'will not')
    .replace(/n't\b/gi, ' not')
    .replace(/'(s|re|m|ll|ve|d)\b/gi, '')
    .replace(/s'(?=\s|$)/g, 's');
}

/** A crude suffix stemmer: enough to meet "likes" with "like" and "flights" with "flight". */
export function stem(word: string): string {
  let w = word.toLowerCase();
  if (w.length > 4 && w.endsWith('ies')) w = `${w.slice(0, -3)}y`;
  else if (w.length > 3 && w.endsWith('s') && !/(ss|us|is)$/.test(w)) w = w.slice(0, -1);
  // "-ing" goes ("is staying" meets "stays"); "-ed" stays, as tense is information ("saved", "is saving").
  if (w.length > 5 && w.endsWith('ing')) w = w.slice(0, -3);
  if (w.length > 3 && w.endsWith('e')) w = w.slice(0, -1);
  return w;
}

/** Whether a word is a number, a number word, a day or a month: those compare as values, not as words. */
export const isNumberish = (w: string): boolean => /^\d/.test(w) || NUMBER_WORDS[w] !== undefined || DAYS.includes(w.replace(/s$/, '')) || MONTHS.includes(w);

/**
 * Numbers and dates of a text, normalised: "3pm", "3 p.m." and "15:00" are `15:00`; "1,200",
 * "£1,200" and "1200 GBP" are `1200`; "€85k" is `85000`; "twelve" and "12th" are `12`; day
 * and month names (and capitalised abbreviations) are the full lower-case name.
 */
export function numbersOf(text: string): Set<string> {
  const out = new Set<string>();
  let t = clean(text);
  for (const [abbr, full] of Object.entries(DATE_ABBREVIATIONS)) t = t.replace(new RegExp(`\\b${abbr}\\b\\.?`, 'g'), full);
  t = t.toLowerCase();
  for (const word of [...DAYS, ...MONTHS]) {
    if (new RegExp(`\\b${word}s?\\b`).test(t)) out.add(word);
  }
  t = t.replace(/\bnoon\b/g, '12:00').replace(/\bmidnight\b/g, '00:00');
  t = t.replace(/\b(\d{1,2})(?::(\d{2}))?\s*([ap])\.?m\b\.?/g, (_, h: string, m: string | undefined, ap: string) => {
    let hour = Number(h) % 12;
    if (ap === 'p') hour += 12;
    out.add(`${String(hour).padStart(2, '0')}:${m ?? '00'}`);
    return ' ';
  });
  t = t.replace(/\b(\d{1,2}):(\d{2})\b/g, (_, h: string, m: string) => {
    out.add(`${h.padStart(2, '0')}:${m}`);
    return ' ';
  });
  // Amounts with a thousands suffix: "€85k", "14k USD"; a bare "5k" (a run) stays 5.
  t = t.replace(/([$€£]?)(\d+(?:\.\d+)?)k\b(\s+\w+)?/g, (_, cur: string, n: string, next: string | undefined) => {
    const money = cur !== '' || (next !== undefined && CURRENCY.test(next.trim()));
    out.add(String(Number(n) * (money ? 1000 : 1)));
    return ` ${next ?? ''}`;
  });
  t = t.replace(/\d+(?:,\d{3})*(?:\.\d+)?/g, (n) => {
    out.add(String(Number(n.replace(/,/g, ''))));
    return ' ';
  });
  for (const word of t.split(/[^a-z]+/)) {
    const value = NUMBER_WORDS[word];
    if (value !== undefined) out.add(String(value));
  }
  return out;
}

/**
 * What the texts of a space say about capitals: a word seen in lower case inside a sentence is
 * a common word, one seen capitalised inside a sentence a name. A capitalised first word counts
 * as an entity only when it is a name and never a common word ("Alice's flight", not "Schedule
 * meetings").
 */
export interface Capitalisation {
  common: ReadonlySet<string>;
  proper: ReadonlySet<string>;
}

/** The {@link Capitalisation} of a set of texts (a consolidation pass: the texts it examines). */
export function capitalisationOf(texts: Iterable<string>): Capitalisation {
  const common = new Set<string>();
  const proper = new Set<string>();
  for (const text of new Set(texts)) {
    if (text === text.toLowerCase()) continue;
    for (const sentence of clean(text).split(/[.:;!?(]\s*/)) {
      const words = sentence.match(/[A-Za-z][A-Za-z-]*/g) ?? [];
      for (const w of words.slice(1)) (w === w.toLowerCase() ? common : proper).add(w.toLowerCase());
    }
  }
  return { common, proper };
}

/** A text as the rule compares it. */
export interface TextAnalysis {
  /** Stemmed content words, numbers (`#n`) and the user. */
  content: ReadonlySet<string>;
  /** Content words (and the user) in the order they first appear; numbers and dates keep no position. */
  sequence: readonly string[];
  /** Every token, lower case and stemmed, for the entity check. */
  all: ReadonlySet<string>;
  numbers: ReadonlySet<string>;
  negated: boolean;
  /** Capitalised words not at the start of a sentence (or names that are), and identifiers like "4B". */
  entities: ReadonlySet<string>;
  /** The entities in order of first appearance. */
  entityOrder: readonly string[];
}

/** The word tokens of a {@link clean}ed text, currencies as tokens of their own. */
export function wordTokens(cleaned: string): string[] {
  // Times are numbers already: their "p.m." must not leave a word "p" behind.
  const wordText = CURRENCIES.reduce((t, [pattern, token]) => t.replace(pattern, token), cleaned.replace(/\b([ap])\.?m\b\.?/gi, ' '));
  return wordText.match(/[A-Za-z0-9][A-Za-z0-9-]*/g) ?? [];
}

/** Analyses `text` for {@link sameStatement}, with the capitals of the texts it is compared among. */
export function analyseText(text: string, capitals: Capitalisation): TextAnalysis {
  const cleaned = clean(text);
  const numbers = numbersOf(text);
  const tokens = wordTokens(cleaned);
  const lower = tokens.map((t) => t.toLowerCase());
  const words = new Set(
    tokens
      .filter((t) => isIdentifier(t) || (DATE_ABBREVIATIONS[t] === undefined && !isNumberish(t.toLowerCase())))
      .map((t) => t.toLowerCase())
      .filter((w) => !STOPWORDS.has(w) && !NEGATIONS.has(w) && !USER_WORDS.has(w) && !/^(am|pm)$/.test(w))
      .map((w) => (isIdentifier(w) ? w : stem(w))),
  );
  const content = new Set([...words, ...[...numbers].map((n) => `#${n}`), ...(lower.some((w) => USER_WORDS.has(w)) ? [USER] : [])]);
  const sequence: string[] = [];
  for (const t of tokens) {
    const w = t.toLowerCase();
    const item = USER_WORDS.has(w) ? USER : isIdentifier(t) ? w : stem(w);
    if ((item === USER || words.has(item)) && !sequence.includes(item)) sequence.push(item);
  }
  const entities = new Set<string>();
  const entityOrder: string[] = [];
  for (const sentence of cleaned.split(/(?<=[.:;!?])\s+|\(|\)/)) {
    const sentenceWords = sentence.match(/[A-Za-z0-9][A-Za-z0-9-]*/g) ?? [];
    sentenceWords.forEach((w, i) => {
      const lowerWord = w.toLowerCase();
      const identifier = isIdentifier(w);
      const e = USER_WORDS.has(lowerWord) ? USER : identifier ? lowerWord : stem(w);
      if (e !== USER && !identifier) {
        if (STOPWORDS.has(lowerWord) || NEGATIONS.has(lowerWord) || isNumberish(lowerWord) || DATE_ABBREVIATIONS[w] !== undefined) return;
        if (!/^[A-Z]/.test(w)) return;
        if (i === 0 && (capitals.common.has(lowerWord) || !capitals.proper.has(lowerWord))) return;
      }
      entities.add(e);
      if (!entityOrder.includes(e)) entityOrder.push(e);
    });
  }
  return { content, sequence, all: new Set(lower.map(stem)), numbers, negated: lower.some((w) => NEGATIONS.has(w)), entities, entityOrder };
}

/** How strict the lexical side of the rule is. */
export interface LexicalOptions {
  /**
   * Least Jaccard overlap of the two texts' content words, in [0.5, 1]. 1 (the default) is the
   * identity the study measured at precision 1.00; anything lower merges pairs that differ in a
   * word and was measured below 0.98 (bench/RESULTS.md).
   */
  minOverlap: number;
}

/** The defaults of the duplicate rule, as the study chose them. */
export const DEFAULT_DUPLICATE_RULE = { minCosine: 0.6, minOverlap: 1 } as const;

/**
 * True when two analysed texts state the same thing by the lexical rule: content words overlap
 * by at least `minOverlap` (1: the same words), numbers and dates are equal, both or neither is
 * negated, each one's entities appear in the other, and the words and entities both hold come
 * in the same order ("from A to B" is not "from B to A").
 */
export function sameStatement(x: TextAnalysis, y: TextAnalysis, options: LexicalOptions = DEFAULT_DUPLICATE_RULE): boolean {
  if (jaccard(x.content, y.content) < options.minOverlap) return false;
  if (!sameSet(x.numbers, y.numbers) || x.negated !== y.negated) return false;
  const entityIn = (ents: ReadonlySet<string>, other: TextAnalysis): boolean => [...ents].every((e) => other.all.has(e) || other.entities.has(e));
  if (!entityIn(x.entities, y) || !entityIn(y.entities, x)) return false;
  return sameOrder(x.entityOrder, y.entityOrder) && sameOrder(x.sequence, y.sequence);
}

/** Jaccard overlap of two sets; two empty sets overlap fully. */
export function jaccard(x: ReadonlySet<string>, y: ReadonlySet<string>): number {
  let inter = 0;
  for (const v of x) if (y.has(v)) inter++;
  const union = x.size + y.size - inter;
  return union === 0 ? 1 : inter / union;
}

function sameSet(x: ReadonlySet<string>, y: ReadonlySet<string>): boolean {
  return x.size === y.size && [...x].every((v) => y.has(v));
}

/** The items both lists hold come in the same order in each. */
export function sameOrder(x: readonly string[], y: readonly string[]): boolean {
  const shared = x.filter((e) => y.includes(e));
  return shared.join('\u0000') === y.filter((e) => shared.includes(e)).join('\u0000');
}
