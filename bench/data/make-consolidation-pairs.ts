/**
 * Writes `bench/data/consolidation-pairs.jsonl`, the labelled pairs of memory texts behind the
 * consolidation study (`bench/consolidation-thresholds.ts`, issue 19):
 *
 * - `duplicate`: two wordings of the same fact, which consolidation should merge;
 * - `different`: near but different facts (same people and topic, other information), which
 *   it must never merge;
 * - `update`: an older statement (`a`) and a newer one (`b`) giving a changed value of the same
 *   fact, with the `subject` key a caller would set on both; superseded, never merged.
 *
 * Run with `node --import tsx bench/data/make-consolidation-pairs.ts`. The output depends only
 * on the seed below: fact families (hand-written paraphrase templates, near-miss templates and
 * update templates over slot values) are rendered with a seeded PRNG, and hand-written pairs
 * are appended as written. Nothing is downloaded or copied from another dataset. See
 * bench/data/README.md ("Consolidation pairs").
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mulberry32 } from '../prng.js';

/** The three labels of the set. */
export type PairLabel = 'duplicate' | 'different' | 'update';

/** One line of the output file. */
export interface ConsolidationPair {
  id: string;
  /** For `update` pairs, the older statement. */
  a: string;
  /** For `update` pairs, the newer statement. */
  b: string;
  label: PairLabel;
  /** The metadata key both memories of an `update` pair carry (`person.attribute`). */
  subject?: string;
  /** `domain/family kind[: detail]`, e.g. `travel/flight different-relation: flight -> hotel`. */
  note?: string;
}

const SEED = 0x19c0de;


const random = mulberry32(SEED);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
const chance = (p: number): boolean => random() < p;
function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

// ---- slot pools ---------------------------------------------------------------------------
// A value may list equivalent surface forms separated by `|`; the first is canonical (two
// values are the same fact when their first forms are equal). Duplicates may render different
// forms ("3pm" and "15:00"), which is how a paraphrase in real notes looks too.

const PEOPLE = ['Alice', 'Bob', 'Priya', 'Marco', 'Dana', 'Kenji', 'Sofia', 'Tom', 'Fatima', 'Lukas', 'Mei', 'Omar', 'Grace', 'Jonas', 'Elena', 'Ravi', 'Chloe', 'Mateo', 'Hannah', 'Yusuf', 'the user'];
const CITIES = ['Utrecht', 'Berlin', 'Lisbon', 'Oslo', 'Madrid', 'Toronto', 'Nairobi', 'Kyoto', 'Porto', 'Vienna', 'Dublin', 'Austin', 'Seoul', 'Milan', 'Krakow', 'Edinburgh'];
const DAYS = ['Monday|Mon', 'Tuesday|Tue', 'Wednesday|Wed', 'Thursday|Thu', 'Friday|Fri', 'Saturday|Sat', 'Sunday|Sun'];
const WORK_DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday'];
const MORNING_TIMES = ['9am|9:00|9 a.m.', '9:30am|9:30', '10am|10:00|10 a.m.', '11am|11:00', '8:30am|8:30', '10:15am|10:15'];
const DAY_TIMES = ['10am|10:00|10 a.m.', '11am|11:00', '2pm|14:00|2 p.m.', '3pm|15:00|3 p.m.', '4:30pm|16:30', '1pm|13:00', '5pm|17:00'];
const NIGHT_TIMES = ['1am|01:00', '2am|02:00|2 a.m.', '3:30am|03:30', '11pm|23:00', 'midnight|00:00'];
const BED_TIMES = ['10pm|22:00', '10:30pm|22:30', '11pm|23:00', 'midnight|12am', '11:30pm|23:30'];
const DATES = ['12 March|March 12|the 12th of March', '3 June|June 3|the 3rd of June', '28 October|October 28', '5 January|January 5|the 5th of January', '19 July|July 19', '14 September|September 14|the 14th of September', '1 December|December 1', '22 April|April 22'];
const MONTHS = ['June', 'July', 'August', 'October', 'December', 'April', 'September'];
const COMPANIES = ['Larkspur', 'Northwind', 'Acme Analytics', 'Globex', 'Initech', 'Brightline Health', 'Oakridge Bank', 'Fernhill Games'];
const PROJECTS = ['Heron', 'Kestrel', 'Atlas', 'Falcon', 'Juniper', 'Orion', 'Wren', 'Tidewater'];
const TEAMS = ['platform', 'payments', 'mobile', 'data', 'growth', 'search', 'security'];
const SERVICES = ['the payments API', 'the ledger service', 'the search cluster', 'the mobile backend', 'the billing service', 'the notification service'];

interface Family {
  name: string;
  domain: string;
  /** Slot name -> pool. Two slots on the same pool never take the same value in one binding. */
  slots: Record<string, readonly string[]>;
  /** Templates all stating the same fact for one binding (`{slot}`). At least three. */
  say: readonly string[];
  /**
   * Near but different facts for the same binding. `a` defaults to a random `say` template;
   * `{slot#2}` is another value of the slot's pool. `kind` names what differs.
   */
  near: readonly { kind: string; a?: string; b: string }[];
  /** Slots whose value, changed, gives a different fact (`kind` names the change). */
  vary: readonly { slot: string; kind: string }[];
  /** A newer statement changing one slot's value; `{old}` is the old value. */
  update?: readonly { slot: string; say: readonly string[] }[];
  /** The key both memories of an update carry, over the slots that do not change. */
  subject?: string;
}

const FAMILIES: Family[] = [
  // ---- travel ----
  {
    name: 'flight',
    domain: 'travel',
    slots: { person: PEOPLE, city: CITIES, day: DAYS },
    say: ["{person}'s flight to {city} is on {day}", '{person} flies to {city} on {day}', 'On {day}, {person} is flying to {city}', '{person} has a flight to {city} on {day}', '{person} will fly out to {city} on {day}'],
    near: [
      { kind: 'relation', a: "{person}'s flight to {city} is on {day}", b: "{person}'s hotel in {city} is booked from {day}" },
      { kind: 'direction', a: '{person} flies to {city} on {day}', b: '{person} flies back from {city} on {day}' },
      { kind: 'relation', a: "{person}'s flight to {city} is on {day}", b: "{person}'s train to {city} is on {day}" },
      { kind: 'person', a: '{person} flies to {city} on {day}', b: "{person}'s sister flies to {city} on {day}" },
    ],
    vary: [{ slot: 'day', kind: 'date' }, { slot: 'city', kind: 'entity' }, { slot: 'person', kind: 'person' }],
    update: [{ slot: 'day', say: ["{person}'s flight to {city} was moved to {day}", '{person} rebooked the {city} flight for {day}', '{person} now flies to {city} on {day} instead of {old}'] }],
    subject: '{person}.flight_{city}',
  },
  {
    name: 'hotel',
    domain: 'travel',
    slots: { person: PEOPLE, city: CITIES, hotel: ['Hotel Astoria', 'the Park Inn', 'the Motel One', 'the Ibis Styles', 'the Harbour View Hotel', 'the Hotel Central'] },
    say: ['{person} is staying at {hotel} in {city}', "{person}'s hotel in {city} is {hotel}", 'In {city}, {person} has a room at {hotel}', '{person} booked {hotel} for the {city} trip'],
    near: [
      { kind: 'modality', a: '{person} is staying at {hotel} in {city}', b: '{person} is considering staying at {hotel} in {city}' },
      { kind: 'polarity', a: '{person} is staying at {hotel} in {city}', b: '{person} refuses to stay at {hotel} in {city} again' },
      { kind: 'person', a: '{person} is staying at {hotel} in {city}', b: "{person}'s parents are staying at {hotel} in {city}" },
    ],
    vary: [{ slot: 'hotel', kind: 'entity' }, { slot: 'city', kind: 'entity' }],
    update: [{ slot: 'hotel', say: ['{person} moved from {old} to {hotel} in {city}', '{person} switched hotels in {city}: now at {hotel}', "{person}'s {city} booking changed to {hotel}"] }],
    subject: '{person}.hotel_{city}',
  },
  {
    name: 'seat',
    domain: 'travel',
    slots: { person: PEOPLE, seat: ['aisle', 'window'] },
    say: ['{person} prefers a {seat} seat on flights', '{person} always books a {seat} seat when flying', "On planes, {person} wants the {seat} seat", "{person}'s seat preference on flights: {seat}"],
    near: [
      { kind: 'scope', a: '{person} prefers a {seat} seat on flights', b: '{person} prefers a {seat} seat on trains' },
      { kind: 'tense', a: '{person} prefers a {seat} seat on flights', b: '{person} got a {seat} seat on the last flight' },
      { kind: 'person', a: '{person} prefers a {seat} seat on flights', b: "{person}'s son prefers a {seat} seat on flights" },
    ],
    vary: [{ slot: 'seat', kind: 'value' }, { slot: 'person', kind: 'person' }],
    update: [{ slot: 'seat', say: ['{person} prefers the {seat} seat on flights now', '{person} has switched to {seat} seats when flying'] }],
    subject: '{person}.seat_preference',
  },
  {
    name: 'holiday',
    domain: 'travel',
    slots: { person: PEOPLE, country: ['Portugal', 'Japan', 'Greece', 'Iceland', 'Mexico', 'Croatia', 'Vietnam', 'Morocco'], month: MONTHS },
    say: ['{person} is going on holiday to {country} in {month}', '{person} plans a {month} holiday in {country}', 'In {month}, {person} will be on holiday in {country}', "{person}'s holiday plans: {country} in {month}"],
    near: [
      { kind: 'tense', a: '{person} is going on holiday to {country} in {month}', b: '{person} went on holiday to {country} last {month}' },
      { kind: 'relation', a: '{person} is going on holiday to {country} in {month}', b: '{person} is going to {country} for work in {month}' },
      { kind: 'person', a: '{person} is going on holiday to {country} in {month}', b: "{person}'s parents are going on holiday to {country} in {month}" },
    ],
    vary: [{ slot: 'country', kind: 'entity' }, { slot: 'month', kind: 'date' }],
    update: [{ slot: 'country', say: ['{person} changed the {month} holiday plans: {country} instead of {old}', '{person} is now going to {country} in {month}, not {old}', "{person}'s {month} holiday is in {country} after all"] }],
    subject: '{person}.holiday_{month}',
  },
  // ---- preferences ----
  {
    name: 'drink',
    domain: 'preferences',
    slots: { person: PEOPLE, drink: ['green tea', 'black coffee', 'oat milk lattes', 'espresso', 'sparkling water', 'chai', 'rooibos tea', 'hot chocolate'] },
    say: ['{person} prefers {drink}', "{person}'s preferred drink is {drink}", '{person} likes {drink} best', '{person} usually drinks {drink}', 'When offered a drink, {person} picks {drink}'],
    near: [
      { kind: 'polarity', a: '{person} likes {drink}', b: '{person} dislikes {drink}' },
      { kind: 'qualifier', a: '{person} prefers {drink}', b: '{person} prefers {drink} in the afternoon' },
      { kind: 'negation', a: '{person} usually drinks {drink}', b: '{person} never drinks {drink}' },
      { kind: 'person', a: '{person} prefers {drink}', b: "{person}'s partner prefers {drink}" },
    ],
    vary: [{ slot: 'drink', kind: 'value' }, { slot: 'person', kind: 'person' }],
    update: [{ slot: 'drink', say: ['{person} has switched to {drink}', '{person} drinks {drink} these days instead of {old}', "{person}'s drink of choice is now {drink}"] }],
    subject: '{person}.drink',
  },
  {
    name: 'meeting-time',
    domain: 'preferences',
    slots: { person: PEOPLE, time: MORNING_TIMES },
    say: ['{person} prefers meetings before {time}', '{person} likes to have meetings before {time}', 'Schedule meetings with {person} before {time}', '{person} would rather meet before {time}'],
    near: [
      { kind: 'direction', a: '{person} prefers meetings before {time}', b: '{person} prefers meetings after {time}' },
      { kind: 'negation', a: '{person} prefers meetings before {time}', b: '{person} takes no meetings before {time}' },
      { kind: 'relation', a: '{person} prefers meetings before {time}', b: '{person} starts work before {time}' },
    ],
    vary: [{ slot: 'time', kind: 'number' }, { slot: 'person', kind: 'person' }],
    update: [{ slot: 'time', say: ['{person} now prefers meetings before {time}', 'From now on, {person} wants meetings before {time}, not {old}'] }],
    subject: '{person}.meeting_time',
  },
  {
    name: 'editor',
    domain: 'tools',
    slots: { person: PEOPLE, editor: ['VS Code', 'Neovim', 'IntelliJ IDEA', 'Emacs', 'Zed', 'Sublime Text', 'Helix'] },
    say: ['{person} uses {editor} as their main editor', "{person}'s editor of choice is {editor}", '{person} writes code in {editor}', '{person} prefers {editor} for coding'],
    near: [
      { kind: 'polarity', a: '{person} uses {editor} as their main editor', b: '{person} refuses to use {editor}' },
      { kind: 'modality', a: '{person} uses {editor} as their main editor', b: '{person} is trying out {editor} this week' },
      { kind: 'person', a: '{person} uses {editor} as their main editor', b: "{person}'s team standardised on {editor}" },
    ],
    vary: [{ slot: 'editor', kind: 'entity' }, { slot: 'person', kind: 'person' }],
    update: [{ slot: 'editor', say: ['{person} switched from {old} to {editor}', '{person} moved to {editor} as their main editor', '{person} codes in {editor} now'] }],
    subject: '{person}.editor',
  },
  {
    name: 'backend-language',
    domain: 'tools',
    slots: { person: PEOPLE, lang: ['Go', 'Rust', 'TypeScript', 'Python', 'Kotlin', 'Java', 'Elixir'] },
    say: ['{person} prefers {lang} for backend services', 'For backend work, {person} reaches for {lang}', "{person}'s favourite backend language is {lang}", '{person} likes writing backend services in {lang}'],
    near: [
      { kind: 'scope', a: '{person} prefers {lang} for backend services', b: '{person} prefers {lang} for frontend work' },
      { kind: 'modality', a: '{person} prefers {lang} for backend services', b: '{person} is learning {lang} for backend services' },
      { kind: 'polarity', a: '{person} prefers {lang} for backend services', b: '{person} dislikes {lang} for backend services' },
    ],
    vary: [{ slot: 'lang', kind: 'entity' }, { slot: 'person', kind: 'person' }],
    update: [{ slot: 'lang', say: ['{person} now prefers {lang} for backend services over {old}', '{person} has moved on from {old}: backend services in {lang} now'] }],
    subject: '{person}.backend_language',
  },
  {
    name: 'cuisine',
    domain: 'preferences',
    slots: { person: PEOPLE, cuisine: ['Thai', 'Ethiopian', 'Japanese', 'Mexican', 'Lebanese', 'Georgian', 'Sichuan', 'Peruvian'] },
    say: ["{person}'s favourite cuisine is {cuisine}", '{person} loves {cuisine} food more than any other', "{cuisine} food is {person}'s favourite", 'If in doubt, book a {cuisine} restaurant: it is what {person} likes most'],
    near: [
      { kind: 'polarity', a: "{person}'s favourite cuisine is {cuisine}", b: "{person} can't stand {cuisine} food" },
      { kind: 'relation', a: '{person} loves {cuisine} food more than any other', b: '{person} is learning to cook {cuisine} food' },
      { kind: 'person', a: "{person}'s favourite cuisine is {cuisine}", b: "{person}'s partner's favourite cuisine is {cuisine}" },
    ],
    vary: [{ slot: 'cuisine', kind: 'entity' }, { slot: 'person', kind: 'person' }],
    update: [{ slot: 'cuisine', say: ["{person}'s favourite cuisine is {cuisine} these days, no longer {old}", '{person} says {cuisine} is now the favourite cuisine'] }],
    subject: '{person}.favourite_cuisine',
  },
  {
    name: 'contact-channel',
    domain: 'preferences',
    slots: { person: PEOPLE, channel: ['email', 'Slack', 'phone', 'text message', 'WhatsApp', 'Signal'] },
    say: ['{person} prefers to be contacted by {channel}', 'The best way to reach {person} is {channel}', 'Reach {person} by {channel}; that is what they prefer', "{person}'s preferred contact channel is {channel}"],
    near: [
      { kind: 'negation', a: '{person} prefers to be contacted by {channel}', b: '{person} never answers {channel}' },
      { kind: 'person', a: '{person} prefers to be contacted by {channel}', b: "{person}'s manager prefers to be contacted by {channel}" },
      { kind: 'scope', a: '{person} prefers to be contacted by {channel}', b: '{person} prefers to be contacted by {channel} only for emergencies' },
    ],
    vary: [{ slot: 'channel', kind: 'value' }, { slot: 'person', kind: 'person' }],
    update: [{ slot: 'channel', say: ['{person} now prefers {channel} over {old}', 'From now on, contact {person} by {channel}'] }],
    subject: '{person}.contact_channel',
  },
  {
    name: 'dislike',
    domain: 'preferences',
    slots: { person: PEOPLE, thing: ['early morning meetings', 'long email threads', 'spicy food', 'crowded trains', 'video calls with cameras on', 'open-plan offices', 'surprise parties', 'small talk'] },
    say: ['{person} hates {thing}', '{person} really dislikes {thing}', "{person} can't stand {thing}", '{person} finds {thing} unbearable'],
    near: [
      { kind: 'polarity', a: '{person} hates {thing}', b: "{person} doesn't mind {thing}" },
      { kind: 'polarity', a: '{person} really dislikes {thing}', b: '{person} really enjoys {thing}' },
      { kind: 'person', a: '{person} hates {thing}', b: "{person}'s boss hates {thing}" },
    ],
    vary: [{ slot: 'thing', kind: 'value' }, { slot: 'person', kind: 'person' }],
  },
  {
    name: 'password-manager',
    domain: 'tools',
    slots: { person: PEOPLE, pm: ['1Password', 'Bitwarden', 'KeePassXC', 'LastPass', 'Proton Pass'] },
    say: ['{person} keeps passwords in {pm}', "{person}'s password manager is {pm}", '{person} uses {pm} to store passwords', 'Passwords for {person} live in {pm}'],
    near: [
      { kind: 'tense', a: '{person} keeps passwords in {pm}', b: '{person} stopped using {pm} for passwords' },
      { kind: 'relation', a: "{person}'s password manager is {pm}", b: "{person}'s company pays for {pm}" },
      { kind: 'scope', a: '{person} keeps passwords in {pm}', b: '{person} keeps the family passwords in {pm}' },
    ],
    vary: [{ slot: 'pm', kind: 'entity' }, { slot: 'person', kind: 'person' }],
    update: [{ slot: 'pm', say: ['{person} switched password managers from {old} to {pm}', '{person} moved all passwords to {pm}'] }],
    subject: '{person}.password_manager',
  },
  // ---- people ----
  {
    name: 'home-city',
    domain: 'people',
    slots: { person: PEOPLE, city: CITIES },
    say: ['{person} lives in {city}', '{person} is based in {city}', "{person}'s home is in {city}", '{person} resides in {city}', 'Home for {person} is {city}'],
    near: [
      { kind: 'relation', a: '{person} lives in {city}', b: '{person} works in {city}' },
      { kind: 'tense', a: '{person} lives in {city}', b: '{person} grew up in {city}' },
      { kind: 'person', a: '{person} lives in {city}', b: "{person}'s sister lives in {city}" },
      { kind: 'modality', a: '{person} lives in {city}', b: '{person} would like to live in {city}' },
    ],
    vary: [{ slot: 'city', kind: 'entity' }, { slot: 'person', kind: 'person' }],
    update: [{ slot: 'city', say: ['{person} moved to {city}', '{person} relocated from {old} to {city}', '{person} lives in {city} now', '{person} has left {old} and settled in {city}'] }],
    subject: '{person}.home_city',
  },
  {
    name: 'employer',
    domain: 'work',
    slots: { person: PEOPLE, company: COMPANIES },
    say: ['{person} works at {company}', '{person} is employed by {company}', "{person}'s employer is {company}", '{person} has a job at {company}'],
    near: [
      { kind: 'tense', a: '{person} works at {company}', b: '{person} used to work at {company}' },
      { kind: 'relation', a: '{person} works at {company}', b: '{person} interviewed at {company}' },
      { kind: 'person', a: '{person} works at {company}', b: "{person}'s husband works at {company}" },
      { kind: 'relation', a: '{person} works at {company}', b: '{person} invests in {company}' },
    ],
    vary: [{ slot: 'company', kind: 'entity' }, { slot: 'person', kind: 'person' }],
    update: [{ slot: 'company', say: ['{person} started a new job at {company}', '{person} left {old} and joined {company}', '{person} works at {company} now'] }],
    subject: '{person}.employer',
  },
  {
    name: 'role',
    domain: 'work',
    slots: { person: PEOPLE, role: ['senior engineer', 'tech lead', 'product manager', 'data scientist', 'engineering manager', 'designer', 'staff engineer', 'site reliability engineer'] },
    say: ['{person} is a {role}', '{person} works as a {role}', "{person}'s job title is {role}", '{person} has the role of {role}'],
    near: [
      { kind: 'modality', a: '{person} is a {role}', b: '{person} wants to become a {role}' },
      { kind: 'relation', a: '{person} is a {role}', b: '{person} is hiring a {role}' },
      { kind: 'relation', a: '{person} works as a {role}', b: '{person} reports to a {role}' },
    ],
    vary: [{ slot: 'role', kind: 'value' }, { slot: 'person', kind: 'person' }],
    update: [{ slot: 'role', say: ['{person} was promoted to {role}', '{person} is now a {role}, previously {old}', '{person} changed roles and works as a {role}'] }],
    subject: '{person}.role',
  },
  {
    name: 'manager',
    domain: 'work',
    slots: { person: PEOPLE, boss: PEOPLE },
    say: ["{person}'s manager is {boss}", '{person} reports to {boss}', "{boss} is {person}'s line manager", '{boss} manages {person}'],
    near: [
      { kind: 'role-swap', a: "{person}'s manager is {boss}", b: "{boss}'s manager is {person}" },
      { kind: 'role-swap', a: '{person} reports to {boss}', b: '{boss} reports to {person}' },
      { kind: 'relation', a: "{person}'s manager is {boss}", b: "{person}'s mentor is {boss}" },
      { kind: 'relation', a: '{person} reports to {boss}', b: '{person} sits next to {boss}' },
    ],
    vary: [{ slot: 'boss', kind: 'person' }, { slot: 'person', kind: 'person' }],
    update: [{ slot: 'boss', say: ['{boss} is now {person}\'s manager', '{person} reports to {boss} since the reorg, not {old}', "After the reorg, {person}'s manager changed from {old} to {boss}"] }],
    subject: '{person}.manager',
  },
  {
    name: 'birthday',
    domain: 'people',
    slots: { person: PEOPLE, date: DATES },
    say: ["{person}'s birthday is on {date}", '{person} was born on {date}', '{person} celebrates their birthday on {date}', "Don't forget: {person}'s birthday is {date}"],
    near: [
      { kind: 'relation', a: "{person}'s birthday is on {date}", b: "{person}'s wedding anniversary is on {date}" },
      { kind: 'person', a: "{person}'s birthday is on {date}", b: "{person}'s daughter's birthday is on {date}" },
      { kind: 'relation', a: "{person}'s birthday is on {date}", b: "{person}'s birthday party is on {date}" },
    ],
    vary: [{ slot: 'date', kind: 'date' }, { slot: 'person', kind: 'person' }],
  },
  {
    name: 'pet',
    domain: 'people',
    slots: { person: PEOPLE, pet: ['dog', 'cat', 'rabbit', 'parrot', 'tortoise'], petname: ['Biscuit', 'Luna', 'Pepper', 'Milo', 'Nala', 'Ziggy', 'Bruno'] },
    say: ['{person} has a {pet} called {petname}', "{person}'s {pet} is named {petname}", "{petname} is {person}'s {pet}", '{person} owns a {pet}, {petname}'],
    near: [
      { kind: 'person', a: '{person} has a {pet} called {petname}', b: "{person}'s neighbour has a {pet} called {petname}" },
      { kind: 'tense', a: '{person} has a {pet} called {petname}', b: '{person} had a {pet} called {petname} as a child' },
      { kind: 'modality', a: '{person} has a {pet} called {petname}', b: '{person} wants to adopt a {pet} and call it {petname}' },
    ],
    vary: [{ slot: 'petname', kind: 'entity' }, { slot: 'pet', kind: 'value' }],
  },
  {
    name: 'daughter-age',
    domain: 'people',
    slots: { person: PEOPLE, age: ['7|seven', '12|twelve', '4|four', '15|fifteen', '9|nine', '6|six'] },
    say: ["{person}'s daughter is {age} years old", "{person}'s daughter is {age}", '{person} has a {age}-year-old daughter', "The daughter of {person} is {age}"],
    near: [
      { kind: 'person', a: "{person}'s daughter is {age} years old", b: "{person}'s son is {age} years old" },
      { kind: 'unit', a: "{person}'s daughter is {age} years old", b: "{person}'s daughter is {age} months old" },
      { kind: 'person', a: "{person}'s daughter is {age}", b: "{person}'s niece is {age}" },
    ],
    vary: [{ slot: 'age', kind: 'number' }, { slot: 'person', kind: 'person' }],
    update: [{ slot: 'age', say: ["{person}'s daughter just turned {age}", "{person}'s daughter is {age} now"] }],
    subject: '{person}.daughter_age',
  },
  {
    name: 'language-spoken',
    domain: 'people',
    slots: { person: PEOPLE, language: ['Spanish', 'Japanese', 'German', 'Portuguese', 'Arabic', 'Dutch', 'Polish', 'Korean'] },
    say: ['{person} speaks fluent {language}', '{person} is fluent in {language}', "{person}'s {language} is fluent", '{person} speaks {language} fluently'],
    near: [
      { kind: 'modality', a: '{person} speaks fluent {language}', b: '{person} is learning {language}' },
      { kind: 'degree', a: '{person} speaks fluent {language}', b: '{person} speaks a little {language}' },
      { kind: 'negation', a: '{person} speaks {language} fluently', b: '{person} does not speak {language}' },
    ],
    vary: [{ slot: 'language', kind: 'entity' }, { slot: 'person', kind: 'person' }],
  },
  {
    name: 'school',
    domain: 'people',
    slots: { person: PEOPLE, school: ['Hillside Primary', "St Anne's", 'Riverside Academy', 'Oakfield School', 'Northgate High'] },
    say: ["{person}'s son goes to {school}", "{person}'s son is a pupil at {school}", "{person}'s son attends {school}", "{school} is the school {person}'s son goes to"],
    near: [
      { kind: 'modality', a: "{person}'s son goes to {school}", b: "{person}'s son is applying to {school}" },
      { kind: 'person', a: "{person}'s son goes to {school}", b: "{person}'s daughter goes to {school}" },
      { kind: 'relation', a: "{person}'s son goes to {school}", b: '{person} teaches at {school}' },
    ],
    vary: [{ slot: 'school', kind: 'entity' }, { slot: 'person', kind: 'person' }],
    update: [{ slot: 'school', say: ["{person}'s son changed schools to {school}", "{person}'s son left {old} and now goes to {school}"] }],
    subject: '{person}.son_school',
  },
  {
    name: 'car',
    domain: 'people',
    slots: { person: PEOPLE, car: ['Toyota Corolla', 'VW Golf', 'Tesla Model 3', 'Volvo XC40', 'Honda Civic', 'Skoda Octavia', 'Renault Zoe'] },
    say: ['{person} drives a {car}', "{person}'s car is a {car}", '{person} owns a {car}', 'The car {person} drives is a {car}'],
    near: [
      { kind: 'modality', a: '{person} drives a {car}', b: '{person} wants to buy a {car}' },
      { kind: 'person', a: '{person} drives a {car}', b: "{person}'s wife drives a {car}" },
      { kind: 'relation', a: '{person} drives a {car}', b: '{person} rented a {car} for the trip' },
    ],
    vary: [{ slot: 'car', kind: 'entity' }, { slot: 'person', kind: 'person' }],
    update: [{ slot: 'car', say: ['{person} sold the {old} and now drives a {car}', '{person} replaced the {old} with a {car}', "{person}'s new car is a {car}"] }],
    subject: '{person}.car',
  },
  {
    name: 'timezone',
    domain: 'people',
    slots: { person: PEOPLE, tz: ['CET', 'Pacific', 'US Eastern', 'IST', 'JST', 'GMT'] },
    say: ['{person} is in the {tz} time zone', '{person} works on {tz} time', "{person}'s time zone is {tz}", '{person} keeps {tz} hours'],
    near: [
      { kind: 'person', a: '{person} is in the {tz} time zone', b: "{person}'s team is in the {tz} time zone" },
      { kind: 'tense', a: '{person} is in the {tz} time zone', b: '{person} is in the {tz} time zone only this week' },
    ],
    vary: [{ slot: 'tz', kind: 'entity' }, { slot: 'person', kind: 'person' }],
    update: [{ slot: 'tz', say: ['{person} moved to the {tz} time zone', "{person}'s time zone changed from {old} to {tz}"] }],
    subject: '{person}.timezone',
  },
  // ---- health ----
  {
    name: 'diet',
    domain: 'health',
    slots: { person: PEOPLE, diet: ['vegetarian', 'vegan', 'pescatarian', 'gluten-free', 'keto'] },
    say: ['{person} is {diet}', '{person} follows a {diet} diet', '{person} keeps to a {diet} diet', 'When booking restaurants, keep in mind that {person} eats {diet}'],
    near: [
      { kind: 'negation', a: '{person} is {diet}', b: '{person} is not {diet}' },
      { kind: 'tense', a: '{person} follows a {diet} diet', b: '{person} used to follow a {diet} diet' },
      { kind: 'person', a: '{person} is {diet}', b: "{person}'s partner is {diet}" },
    ],
    vary: [{ slot: 'diet', kind: 'value' }, { slot: 'person', kind: 'person' }],
    update: [{ slot: 'diet', say: ['{person} is {diet} now, no longer {old}', '{person} switched from a {old} to a {diet} diet', '{person} has gone {diet}'] }],
    subject: '{person}.diet',
  },
  {
    name: 'allergy',
    domain: 'health',
    slots: { person: PEOPLE, allergen: ['peanuts', 'shellfish', 'penicillin', 'cats', 'pollen', 'latex', 'sesame', 'ibuprofen'] },
    say: ['{person} is allergic to {allergen}', '{person} has an allergy to {allergen}', '{person} reacts allergically to {allergen}', 'Allergy: {person} cannot have {allergen}'],
    near: [
      { kind: 'negation', a: '{person} is allergic to {allergen}', b: '{person} is not allergic to {allergen}' },
      { kind: 'person', a: '{person} is allergic to {allergen}', b: "{person}'s son is allergic to {allergen}" },
      { kind: 'superset', a: '{person} is allergic to {allergen}', b: '{person} is allergic to {allergen} and {allergen#2}' },
      { kind: 'degree', a: '{person} is allergic to {allergen}', b: '{person} is mildly intolerant of {allergen}' },
    ],
    vary: [{ slot: 'allergen', kind: 'value' }, { slot: 'person', kind: 'person' }],
  },
  {
    name: 'medication',
    domain: 'health',
    slots: { person: PEOPLE, drug: ['metformin', 'lisinopril', 'sertraline', 'levothyroxine', 'atorvastatin', 'omeprazole'], dose: ['10 mg|10mg', '20 mg|20mg', '50 mg|50mg', '100 mg|100mg', '25 mg|25mg'], freq: ['once a day|daily', 'twice a day|two times a day'] },
    say: ['{person} takes {dose} of {drug} {freq}', "{person}'s {drug} dose is {dose} {freq}", '{person} is on {drug}, {dose} {freq}', '{drug}: {person} takes {dose}, {freq}'],
    near: [
      { kind: 'tense', a: '{person} takes {dose} of {drug} {freq}', b: '{person} stopped taking {drug}' },
      { kind: 'person', a: '{person} takes {dose} of {drug} {freq}', b: "{person}'s mother takes {dose} of {drug} {freq}" },
      { kind: 'modality', a: '{person} takes {dose} of {drug} {freq}', b: "{person}'s doctor suggested {dose} of {drug} {freq}" },
    ],
    vary: [{ slot: 'dose', kind: 'number' }, { slot: 'freq', kind: 'frequency' }, { slot: 'drug', kind: 'entity' }],
    update: [{ slot: 'dose', say: ["{person}'s {drug} dose was increased to {dose}", '{person} now takes {dose} of {drug} {freq}', "The doctor changed {person}'s {drug} from {old} to {dose}"] }],
    subject: '{person}.{drug}_dose',
  },
  {
    name: 'running',
    domain: 'health',
    slots: { person: PEOPLE, dist: ['5 km|5k', '10 km|10k', '8 km', '15 km|15k', '12 km'], day: DAYS },
    say: ['{person} runs {dist} every {day}', 'Every {day}, {person} goes for a {dist} run', "{person}'s {day} routine is a {dist} run", '{person} does a {dist} run each {day}'],
    near: [
      { kind: 'relation', a: '{person} runs {dist} every {day}', b: '{person} cycles {dist} every {day}' },
      { kind: 'tense', a: '{person} runs {dist} every {day}', b: '{person} ran {dist} last {day}' },
      { kind: 'modality', a: '{person} runs {dist} every {day}', b: '{person} wants to run {dist} every {day}' },
    ],
    vary: [{ slot: 'dist', kind: 'number' }, { slot: 'day', kind: 'date' }],
    update: [{ slot: 'dist', say: ['{person} now runs {dist} every {day}', '{person} increased the {day} run to {dist}', "{person}'s {day} run is {dist} now, up from {old}"] }],
    subject: '{person}.run_{day}',
  },
  {
    name: 'appointment',
    domain: 'health',
    slots: { person: PEOPLE, appt: ['dentist', 'GP', 'physio', 'optician', 'dermatologist'], day: DAYS, time: DAY_TIMES },
    say: ['{person} has a {appt} appointment on {day} at {time}', '{person} sees the {appt} on {day} at {time}', '{appt} appointment for {person}: {day}, {time}', 'On {day} at {time}, {person} is at the {appt}'],
    near: [
      { kind: 'polarity', a: '{person} has a {appt} appointment on {day} at {time}', b: '{person} cancelled the {appt} appointment on {day} at {time}' },
      { kind: 'person', a: '{person} has a {appt} appointment on {day} at {time}', b: "{person}'s son has a {appt} appointment on {day} at {time}" },
      { kind: 'relation', a: '{person} has a {appt} appointment on {day} at {time}', b: '{person} has a {appt#2} appointment on {day} at {time}' },
    ],
    vary: [{ slot: 'day', kind: 'date' }, { slot: 'time', kind: 'number' }],
    update: [
      { slot: 'day', say: ["{person}'s {appt} appointment was moved to {day} at {time}", '{person} rescheduled the {appt} to {day}, {time}'] },
      { slot: 'time', say: ["{person}'s {appt} appointment on {day} is now at {time}", 'The {appt} moved {person} to {time} on {day}'] },
    ],
    subject: '{person}.{appt}_appointment',
  },
  {
    name: 'resting-heart-rate',
    domain: 'health',
    slots: { person: PEOPLE, bpm: ['52', '58', '64', '71', '77'] },
    say: ["{person}'s resting heart rate is {bpm} bpm", '{person} has a resting pulse of {bpm} beats per minute', "Resting HR for {person}: {bpm} bpm", "{person}'s heart rate at rest is {bpm}"],
    near: [
      { kind: 'relation', a: "{person}'s resting heart rate is {bpm} bpm", b: "{person}'s maximum heart rate is {bpm} bpm" },
      { kind: 'modality', a: "{person}'s resting heart rate is {bpm} bpm", b: "{person}'s target resting heart rate is {bpm} bpm" },
    ],
    vary: [{ slot: 'bpm', kind: 'number' }, { slot: 'person', kind: 'person' }],
    update: [{ slot: 'bpm', say: ["{person}'s resting heart rate dropped to {bpm} bpm", "{person}'s resting heart rate is {bpm} bpm now, down from {old}"] }],
    subject: '{person}.resting_heart_rate',
  },
  {
    name: 'exercise-class',
    domain: 'health',
    slots: { person: PEOPLE, activity: ['yoga', 'pilates', 'spin class', 'climbing', 'swimming lessons', 'boxing'], day: WORK_DAYS },
    say: ['{person} goes to {activity} on {day} evenings', 'On {day} evenings {person} does {activity}', "{person}'s {day} evening is {activity}", '{person} does {activity} every {day} evening'],
    near: [
      { kind: 'relation', a: '{person} goes to {activity} on {day} evenings', b: '{person} teaches {activity} on {day} evenings' },
      { kind: 'tense', a: '{person} goes to {activity} on {day} evenings', b: '{person} skipped {activity} last {day} evening' },
      { kind: 'qualifier', a: '{person} goes to {activity} on {day} evenings', b: '{person} goes to {activity} on {day} mornings' },
    ],
    vary: [{ slot: 'activity', kind: 'value' }, { slot: 'day', kind: 'date' }],
    update: [{ slot: 'day', say: ["{person}'s {activity} moved to {day} evenings", '{person} goes to {activity} on {day} evenings now, not {old}'] }],
    subject: '{person}.{activity}_day',
  },
  {
    name: 'sleep',
    domain: 'health',
    slots: { person: PEOPLE, time: BED_TIMES },
    say: ['{person} goes to bed around {time}', '{person} is usually asleep by {time}', "{person}'s bedtime is about {time}", 'Bedtime for {person} is around {time}'],
    near: [
      { kind: 'relation', a: '{person} goes to bed around {time}', b: '{person} stops working around {time}' },
      { kind: 'person', a: '{person} goes to bed around {time}', b: "{person}'s kids go to bed around {time}" },
    ],
    vary: [{ slot: 'time', kind: 'number' }, { slot: 'person', kind: 'person' }],
    update: [{ slot: 'time', say: ['{person} goes to bed around {time} these days', "{person}'s bedtime moved to {time}"] }],
    subject: '{person}.bedtime',
  },
  // ---- work ----
  {
    name: 'standup',
    domain: 'work',
    slots: { team: TEAMS, time: MORNING_TIMES },
    say: ["The {team} team's standup is at {time}", '{team} standup happens daily at {time}', 'The daily {team} standup starts at {time}', 'Standup for the {team} team: every day at {time}'],
    near: [
      { kind: 'relation', a: "The {team} team's standup is at {time}", b: "The {team} team's retro is at {time}" },
      { kind: 'relation', a: 'The daily {team} standup starts at {time}', b: 'The daily {team} standup ends at {time}' },
      { kind: 'entity', a: "The {team} team's standup is at {time}", b: "The {team#2} team's standup is at {time}" },
    ],
    vary: [{ slot: 'time', kind: 'number' }, { slot: 'team', kind: 'entity' }],
    update: [{ slot: 'time', say: ['The {team} standup moved to {time}', '{team} standup is now at {time} instead of {old}', "From Monday the {team} team's standup is at {time}"] }],
    subject: '{team}.standup_time',
  },
  {
    name: 'deadline',
    domain: 'work',
    slots: { project: PROJECTS, date: DATES },
    say: ['The {project} launch deadline is {date}', '{project} must ship by {date}', '{project} is due to launch on {date}', 'Launch of {project} is planned for {date}'],
    near: [
      { kind: 'relation', a: 'The {project} launch deadline is {date}', b: 'The {project} code freeze is {date}' },
      { kind: 'relation', a: '{project} is due to launch on {date}', b: '{project} beta testing starts on {date}' },
      { kind: 'relation', a: 'Launch of {project} is planned for {date}', b: 'Kickoff of {project} is planned for {date}' },
      { kind: 'entity', a: 'The {project} launch deadline is {date}', b: 'The {project#2} launch deadline is {date}' },
    ],
    vary: [{ slot: 'date', kind: 'date' }, { slot: 'project', kind: 'entity' }],
    update: [{ slot: 'date', say: ['The {project} deadline slipped to {date}', '{project} now ships on {date}, not {old}', 'The {project} launch was pushed to {date}'] }],
    subject: '{project}.launch_date',
  },
  {
    name: 'oncall',
    domain: 'work',
    slots: { person: PEOPLE, service: SERVICES },
    say: ['{person} is on call for {service} this week', 'This week {person} holds the pager for {service}', "{service}'s on-call this week is {person}", '{person} covers on-call for {service} this week'],
    near: [
      { kind: 'date', a: '{person} is on call for {service} this week', b: '{person} is on call for {service} next week' },
      { kind: 'relation', a: '{person} is on call for {service} this week', b: '{person} was paged about {service} this week' },
      { kind: 'qualifier', a: '{person} is on call for {service} this week', b: '{person} is the backup on call for {service} this week' },
    ],
    vary: [{ slot: 'person', kind: 'person' }, { slot: 'service', kind: 'entity' }],
    update: [{ slot: 'person', say: ['{person} took over the {service} on-call from {old} this week', "Change of plan: {service}'s on-call this week is {person}"] }],
    subject: 'oncall.{service}',
  },
  {
    name: 'deploy-time',
    domain: 'tools',
    slots: { service: SERVICES, time: NIGHT_TIMES },
    say: ['The deploy pipeline for {service} runs nightly at {time}', '{service} is deployed every night at {time}', 'Nightly deploys of {service} start at {time}', 'Every night at {time} the pipeline deploys {service}'],
    near: [
      { kind: 'relation', a: 'The deploy pipeline for {service} runs nightly at {time}', b: 'The backup job for {service} runs nightly at {time}' },
      { kind: 'qualifier', a: 'The deploy pipeline for {service} runs nightly at {time}', b: 'The deploy pipeline for {service} runs weekly at {time}' },
      { kind: 'tense', a: 'The deploy pipeline for {service} runs nightly at {time}', b: 'The deploy pipeline for {service} failed last night at {time}' },
    ],
    vary: [{ slot: 'time', kind: 'number' }, { slot: 'service', kind: 'entity' }],
    update: [{ slot: 'time', say: ['The nightly deploy of {service} now runs at {time}', 'Nightly deploys of {service} moved from {old} to {time}'] }],
    subject: '{service}.deploy_time',
  },
  {
    name: 'database',
    domain: 'tools',
    slots: { service: SERVICES, db: ['PostgreSQL 15', 'PostgreSQL 16', 'MySQL 8.0', 'MongoDB 7', 'SQLite', 'DynamoDB'] },
    say: ['{service} runs on {db}', '{service} uses {db} as its database', 'The database behind {service} is {db}', '{service} stores its data in {db}'],
    near: [
      { kind: 'modality', a: '{service} runs on {db}', b: '{service} will migrate to {db}' },
      { kind: 'scope', a: '{service} runs on {db}', b: "{service}'s analytics replica runs on {db}" },
      { kind: 'modality', a: '{service} uses {db} as its database', b: '{service} is evaluating {db} as its database' },
    ],
    vary: [{ slot: 'db', kind: 'entity' }, { slot: 'service', kind: 'entity' }],
    update: [{ slot: 'db', say: ['{service} was migrated to {db}', '{service} moved from {old} to {db}', '{service} runs on {db} since the migration'] }],
    subject: '{service}.database',
  },
  {
    name: 'ci',
    domain: 'tools',
    slots: { repo: ['the billing repo', 'the mobile app', 'the data pipeline', 'the website', 'the SDK'], ci: ['GitHub Actions', 'GitLab CI', 'CircleCI', 'Buildkite', 'Jenkins'] },
    say: ['{repo} builds on {ci}', 'CI for {repo} runs on {ci}', '{repo} uses {ci} for continuous integration', 'Continuous integration of {repo} is done with {ci}'],
    near: [
      { kind: 'modality', a: '{repo} builds on {ci}', b: '{repo} is migrating to {ci}' },
      { kind: 'scope', a: 'CI for {repo} runs on {ci}', b: 'Nightly benchmarks for {repo} run on {ci}' },
      { kind: 'relation', a: '{repo} builds on {ci}', b: '{repo} releases are published from {ci}' },
    ],
    vary: [{ slot: 'ci', kind: 'entity' }, { slot: 'repo', kind: 'entity' }],
    update: [{ slot: 'ci', say: ['{repo} moved its CI from {old} to {ci}', 'CI for {repo} now runs on {ci}'] }],
    subject: '{repo}.ci',
  },
  {
    name: 'seats',
    domain: 'work',
    slots: { product: ['Figma', 'Linear', 'Notion', 'Slack', 'GitHub Copilot', 'Jira'], n: ['12|twelve', '25', '40', '8|eight', '60'] },
    say: ['The team pays for {n} {product} seats', 'We have {n} paid seats on {product}', '{product} is licensed for {n} seats', 'Our {product} subscription covers {n} seats'],
    near: [
      { kind: 'modality', a: 'The team pays for {n} {product} seats', b: 'The team wants {n} more {product} seats' },
      { kind: 'entity', a: 'The team pays for {n} {product} seats', b: 'The team pays for {n} {product#2} seats' },
      { kind: 'relation', a: 'We have {n} paid seats on {product}', b: 'We have {n} unused seats on {product}' },
    ],
    vary: [{ slot: 'n', kind: 'number' }, { slot: 'product', kind: 'entity' }],
    update: [{ slot: 'n', say: ['The {product} licence was raised to {n} seats', 'We now pay for {n} {product} seats, up from {old}'] }],
    subject: 'team.{product}_seats',
  },
  {
    name: 'office-floor',
    domain: 'work',
    slots: { team: TEAMS, n: ['2|two', '3|three', '4|four', '5|five', '7|seven'], office: ['London', 'Amsterdam', 'Berlin', 'Lisbon'] },
    say: ['The {team} team sits on floor {n} of the {office} office', 'In the {office} office, the {team} team is on floor {n}', "The {team} team's desks are on floor {n} in the {office} office", 'Floor {n} in {office} is where the {team} team sits'],
    near: [
      { kind: 'relation', a: 'The {team} team sits on floor {n} of the {office} office', b: 'The {team} team has its meeting room on floor {n} of the {office} office' },
      { kind: 'entity', a: 'The {team} team sits on floor {n} of the {office} office', b: 'The {team#2} team sits on floor {n} of the {office} office' },
    ],
    vary: [{ slot: 'n', kind: 'number' }, { slot: 'office', kind: 'entity' }],
    update: [{ slot: 'n', say: ['The {team} team moved to floor {n} of the {office} office', 'The {team} team sits on floor {n} in {office} now, not floor {old}'] }],
    subject: '{team}.{office}_floor',
  },
  {
    name: 'rate-limit',
    domain: 'tools',
    slots: { api: ['Stripe', 'GitHub', 'Maps', 'Twilio', 'search', 'weather'], n: ['100', '600', '1,000|1000', '50', '5,000|5000'] },
    say: ['The {api} API allows {n} requests per minute', "{api} API rate limit: {n} requests a minute", 'We can call the {api} API {n} times per minute', 'The {api} API is rate-limited to {n} requests per minute'],
    near: [
      { kind: 'unit', a: 'The {api} API allows {n} requests per minute', b: 'The {api} API allows {n} requests per second' },
      { kind: 'relation', a: 'The {api} API allows {n} requests per minute', b: 'The {api} API returns {n} results per page' },
      { kind: 'relation', a: 'The {api} API is rate-limited to {n} requests per minute', b: 'The {api} API averages {n} requests per minute from us' },
    ],
    vary: [{ slot: 'n', kind: 'number' }, { slot: 'api', kind: 'entity' }],
    update: [{ slot: 'n', say: ['{api} raised its API rate limit to {n} requests per minute', 'The {api} API now allows {n} requests per minute, not {old}'] }],
    subject: '{api}.rate_limit',
  },
  {
    name: 'one-on-one',
    domain: 'work',
    slots: { person: PEOPLE, boss: PEOPLE, day: WORK_DAYS },
    say: ["{person}'s 1:1 with {boss} is every {day}", '{person} and {boss} have their one-on-one on {day}s', 'Every {day}, {person} meets {boss} for a 1:1', "{person}'s weekly one-to-one with {boss} happens on {day}"],
    near: [
      { kind: 'tense', a: "{person}'s 1:1 with {boss} is every {day}", b: "{person}'s 1:1 with {boss} was cancelled this {day}" },
      { kind: 'relation', a: "{person}'s 1:1 with {boss} is every {day}", b: "{person}'s lunch with {boss} is every {day}" },
      { kind: 'person', a: "{person}'s 1:1 with {boss} is every {day}", b: "{person}'s 1:1 with {boss#2} is every {day}" },
    ],
    vary: [{ slot: 'day', kind: 'date' }, { slot: 'boss', kind: 'person' }],
    update: [{ slot: 'day', say: ["{person}'s 1:1 with {boss} moved to {day}s", '{person} and {boss} now meet on {day} instead of {old}'] }],
    subject: '{person}.one_on_one_{boss}',
  },
  // ---- plans ----
  {
    name: 'school-pickup',
    domain: 'plans',
    slots: { person: PEOPLE, day: WORK_DAYS },
    say: ['{person} picks up the kids from school on {day}s', 'On {day}s, {person} does the school pickup', "School pickup on {day} is {person}'s job", '{person} collects the children from school every {day}'],
    near: [
      { kind: 'direction', a: '{person} picks up the kids from school on {day}s', b: '{person} drops the kids off at school on {day}s' },
      { kind: 'relation', a: '{person} picks up the kids from school on {day}s', b: '{person} picks up the kids from football on {day}s' },
    ],
    vary: [{ slot: 'day', kind: 'date' }, { slot: 'person', kind: 'person' }],
    update: [{ slot: 'day', say: ['{person} does the school pickup on {day}s now', '{person} switched school pickup from {old} to {day}'] }],
    subject: '{person}.school_pickup_day',
  },
  {
    name: 'dinner-booking',
    domain: 'plans',
    slots: { person: PEOPLE, restaurant: ['Casa Lopes', 'the Green Olive', 'Koya', 'Little Saigon', 'Bistro Margot', 'the Red Lantern'], n: ['4|four', '6|six', '2|two', '8|eight'], day: DAYS },
    say: ['{person} booked a table at {restaurant} for {n} people on {day}', "There's a table for {n} at {restaurant} on {day}, booked by {person}", '{person} reserved {restaurant} for {n} on {day}', 'Dinner on {day}: {restaurant}, table for {n}, booked by {person}'],
    near: [
      { kind: 'modality', a: '{person} booked a table at {restaurant} for {n} people on {day}', b: '{person} is trying to book a table at {restaurant} for {n} people on {day}' },
      { kind: 'polarity', a: '{person} booked a table at {restaurant} for {n} people on {day}', b: '{person} cancelled the table at {restaurant} for {n} people on {day}' },
    ],
    vary: [{ slot: 'n', kind: 'number' }, { slot: 'day', kind: 'date' }, { slot: 'restaurant', kind: 'entity' }],
    update: [{ slot: 'n', say: ['{person} changed the {restaurant} booking on {day} to {n} people', 'The {day} table at {restaurant} is now for {n}, not {old}'] }],
    subject: '{person}.booking_{restaurant}',
  },
  {
    name: 'tax-deadline',
    domain: 'finance',
    slots: { person: PEOPLE, date: DATES },
    say: ["{person}'s tax return is due on {date}", '{person} has to file the tax return by {date}', "The deadline for {person}'s tax return is {date}", 'Tax return for {person}: due {date}'],
    near: [
      { kind: 'relation', a: "{person}'s tax return is due on {date}", b: "{person}'s VAT return is due on {date}" },
      { kind: 'tense', a: "{person}'s tax return is due on {date}", b: '{person} filed the tax return on {date}' },
      { kind: 'person', a: "{person}'s tax return is due on {date}", b: "{person}'s company tax return is due on {date}" },
    ],
    vary: [{ slot: 'date', kind: 'date' }, { slot: 'person', kind: 'person' }],
    update: [{ slot: 'date', say: ["{person}'s accountant says the tax return is now due on {date}", "{person}'s tax return deadline was extended to {date}"] }],
    subject: '{person}.tax_return_due',
  },
  // ---- finance ----
  {
    name: 'rent',
    domain: 'finance',
    slots: { person: PEOPLE, money: ['1,200 pounds|£1,200', '950 pounds|£950', '2,100 pounds|£2,100|2100 GBP', '1,450 pounds|£1,450', '780 pounds|£780'] },
    say: ['{person} pays {money} a month in rent', "{person}'s rent is {money} per month", 'Monthly rent for {person}: {money}', "{person}'s flat costs {money} a month to rent"],
    near: [
      { kind: 'relation', a: '{person} pays {money} a month in rent', b: '{person} pays {money} a month for the mortgage' },
      { kind: 'unit', a: '{person} pays {money} a month in rent', b: '{person} pays {money} a year in rent' },
      { kind: 'relation', a: "{person}'s rent is {money} per month", b: "{person}'s rent deposit is {money}" },
    ],
    vary: [{ slot: 'money', kind: 'number' }, { slot: 'person', kind: 'person' }],
    update: [{ slot: 'money', say: ["{person}'s rent went up to {money} a month", '{person} pays {money} a month in rent since the new lease, up from {old}'] }],
    subject: '{person}.rent',
  },
  {
    name: 'salary',
    domain: 'finance',
    slots: { person: PEOPLE, salary: ['85,000 euros|€85k|85k EUR', '62,000 euros|€62k', '140,000 euros|€140,000', '71,500 euros|€71.5k'] },
    say: ['{person} earns {salary} a year', "{person}'s annual salary is {salary}", '{person} makes {salary} per year', "{person}'s salary: {salary} a year"],
    near: [
      { kind: 'person', a: '{person} earns {salary} a year', b: "{person}'s partner earns {salary} a year" },
      { kind: 'modality', a: '{person} earns {salary} a year', b: '{person} asked for {salary} a year' },
      { kind: 'relation', a: '{person} earns {salary} a year', b: '{person} saves {salary} a year' },
    ],
    vary: [{ slot: 'salary', kind: 'number' }, { slot: 'person', kind: 'person' }],
    update: [{ slot: 'salary', say: ['{person} got a raise to {salary} a year', "{person}'s salary went from {old} to {salary}"] }],
    subject: '{person}.salary',
  },
  {
    name: 'savings-goal',
    domain: 'finance',
    slots: { person: PEOPLE, amount: ['$10,000|10k dollars', '$25,000|$25k|25k USD', '$5,000|5,000 dollars', '$40,000|$40k'], goal: ['a house deposit', 'a new car', 'a sabbatical', 'a wedding'] },
    say: ['{person} is saving {amount} for {goal}', "{person}'s savings goal is {amount} for {goal}", '{person} wants to put aside {amount} for {goal}', 'Goal for {person}: save {amount} towards {goal}'],
    near: [
      { kind: 'tense', a: '{person} is saving {amount} for {goal}', b: '{person} has already saved {amount} for {goal}' },
      { kind: 'relation', a: '{person} is saving {amount} for {goal}', b: '{person} borrowed {amount} for {goal}' },
    ],
    vary: [{ slot: 'amount', kind: 'number' }, { slot: 'goal', kind: 'value' }],
    update: [{ slot: 'amount', say: ['{person} raised the savings goal for {goal} to {amount}', "{person}'s target for {goal} is now {amount}, not {old}"] }],
    subject: '{person}.savings_{goal}',
  },
  {
    name: 'reading',
    domain: 'people',
    slots: { person: PEOPLE, book: ['The Quiet Harbour', 'Rivers of Salt', 'A Map of Small Things', 'The Glass Orchard', 'Northern Lights Over Brno'] },
    say: ['{person} is reading {book}', "{person}'s current book is {book}", '{person} is in the middle of {book}', 'At the moment {person} is reading {book}'],
    near: [
      { kind: 'tense', a: '{person} is reading {book}', b: '{person} finished reading {book}' },
      { kind: 'modality', a: '{person} is reading {book}', b: '{person} wants to read {book}' },
      { kind: 'relation', a: '{person} is reading {book}', b: '{person} recommended {book}' },
    ],
    vary: [{ slot: 'book', kind: 'entity' }, { slot: 'person', kind: 'person' }],
    update: [{ slot: 'book', say: ['{person} finished {old} and started {book}', "{person}'s current book is {book} now"] }],
    subject: '{person}.current_book',
  },
  {
    name: 'phone-number',
    domain: 'people',
    slots: { person: PEOPLE, phone: ['+44 7700 900123', '+44 7700 900481', '+1 555 0142', '+1 555 0187', '+44 7700 900765', '+44 7700 900318'] },
    say: ["{person}'s phone number is {phone}", '{person} can be reached on {phone}', 'Call {person} at {phone}', "{person}'s mobile: {phone}"],
    near: [
      { kind: 'relation', a: "{person}'s phone number is {phone}", b: "{person}'s office number is {phone}" },
      { kind: 'person', a: "{person}'s phone number is {phone}", b: "{person}'s partner's phone number is {phone}" },
    ],
    vary: [{ slot: 'phone', kind: 'number' }, { slot: 'person', kind: 'person' }],
    update: [{ slot: 'phone', say: ['{person} has a new phone number: {phone}', "{person}'s number changed from {old} to {phone}"] }],
    subject: '{person}.phone',
  },
];

// ---- rendering -----------------------------------------------------------------------------

type Binding = Record<string, string>;

const formsOf = (value: string): string[] => value.split('|');
const canonical = (value: string): string => formsOf(value)[0] as string;

/** One surface form of a value: usually the canonical one, sometimes another. */
function form(value: string): string {
  const forms = formsOf(value);
  return forms.length > 1 && chance(0.3) ? pick(forms.slice(1)) : (forms[0] as string);
}

/** A binding whose slots on one pool never share a value. */
function bind(family: Family): Binding {
  const binding: Binding = {};
  const used = new Set<string>();
  for (const [slot, pool] of Object.entries(family.slots)) {
    const value = pick(pool.filter((v) => !used.has(canonical(v))));
    binding[slot] = value;
    used.add(canonical(value));
  }
  return binding;
}

/** Another value of `slot`'s pool, distinct from every value of the binding. */
function other(family: Family, binding: Binding, slot: string): string {
  const taken = new Set(Object.values(binding).map(canonical));
  return pick((family.slots[slot] ?? []).filter((v) => !taken.has(canonical(v))));
}

function render(template: string, binding: Binding, extra: Record<string, string> = {}): string {
  const text = template.replace(/\{(\w+)(#2)?\}/g, (_, slot: string, second: string | undefined) => {
    const key = second === undefined ? slot : `${slot}#2`;
    const value = extra[key] ?? binding[key];
    if (value === undefined) throw new Error(`template "${template}" names an unknown slot ${key}`);
    return form(value);
  });
  return finish(text);
}

/** Articles, capitals and a final stop the way a note would have them. */
function finish(text: string): string {
  let out = text.replace(/\b([Aa]) ([aeiouAEIOU]|8|11\b|18\b)/g, (_, a: string, next: string) => `${a}n ${next}`);
  out = out.charAt(0).toUpperCase() + out.slice(1);
  return out;
}

/** Surface noise on one side of a duplicate: a stop, a lead-in, lower case. Never changes the fact. */
function noise(text: string): string {
  const r = random();
  if (text.includes(':')) return r < 0.1 ? text.toLowerCase() : text;
  if (r < 0.12) return `Note: ${text}`;
  if (r < 0.2) return `Remember that ${lowerFirst(text)}`;
  if (r < 0.26) return text.toLowerCase();
  if (r < 0.32) return `FYI ${lowerFirst(text)}`;
  return text;
}

function lowerFirst(text: string): string {
  // Keep names and acronyms capitalised: lower the first letter only of a common word.
  const first = text.split(/\s/)[0] ?? '';
  const common = /^(The|On|In|When|If|Every|This|From|For|Our|We|Schedule|Reach|Call|Launch|Standup|Monthly|Tax|Dinner|Nightly|Continuous|Passwords|Home|At|Allergy|Bedtime|Floor|Resting|School|There's|Don't|Goal|After|Change)$/;
  return common.test(first) ? text.charAt(0).toLowerCase() + text.slice(1) : text;
}

/** The key of an update: canonical slot values, one slug per dotted part. */
function subjectOf(template: string, binding: Binding): string {
  const text = template.replace(/\{(\w+)\}/g, (_, slot: string) => canonical(binding[slot] ?? ''));
  return text.split('.').map(slug).join('.');
}

const stop = (text: string): string => (chance(0.55) ? `${text}.` : text);

const slug = (text: string): string =>
  text
    .toLowerCase()
    .replace(/['’]/g, '')
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_|_$/g, '');

// ---- generation ----------------------------------------------------------------------------

const pairs: ConsolidationPair[] = [];
const seen = new Set<string>();

function add(pair: Omit<ConsolidationPair, 'id'>): boolean {
  if (pair.a === pair.b) return false;
  const key = [pair.a, pair.b].map((t) => t.replace(/[.\s]+$/, '')).sort().join('\u0000');
  if (key.split('\u0000')[0] === key.split('\u0000')[1]) return false;
  if (seen.has(key)) return false;
  seen.add(key);
  const ordered = pair.label === 'update' || chance(0.5) ? pair : { ...pair, a: pair.b, b: pair.a };
  pairs.push({ id: '', ...ordered });
  return true;
}

/** Retries a generator a few times until it adds a new pair. */
function attempt(make: () => Omit<ConsolidationPair, 'id'>): void {
  for (let i = 0; i < 12; i++) if (add(make())) return;
}

const BINDINGS_PER_FAMILY = 3;

for (const family of FAMILIES) {
  if (family.say.length < 3) throw new Error(`family ${family.name} needs three paraphrases`);
  const tag = `${family.domain}/${family.name}`;
  for (let b = 0; b < BINDINGS_PER_FAMILY; b++) {
    const binding = bind(family);
    const seconds: Record<string, string> = {};
    for (const slot of Object.keys(family.slots)) seconds[`${slot}#2`] = other(family, binding, slot);

    // Duplicates: two different paraphrase templates of the same binding.
    for (let d = 0; d < 2; d++) {
      attempt(() => {
        const [i, j] = shuffled(family.say.map((_, k) => k));
        return {
          a: stop(render(family.say[i as number] as string, binding)),
          b: stop(noise(render(family.say[j as number] as string, binding))),
          label: 'duplicate',
          note: `${tag} duplicate-paraphrase`,
        };
      });
    }

    // Near-verbatim duplicates: the same template again, with a lead-in, in lower case, or with
    // other forms of its values ("3pm" and "15:00"): the restatement an agent most often stores.
    if (b < 2) {
      attempt(() => {
        const template = pick(family.say);
        const again = render(template, binding);
        const r = random();
        const varied = r < 0.4 ? `${pick(['Note:', 'Reminder:', 'FYI:', 'Memory:'])} ${again}` : r < 0.6 ? again.toLowerCase() : again;
        return {
          a: stop(render(template, binding)),
          b: stop(varied),
          label: 'duplicate',
          note: `${tag} duplicate-verbatim`,
        };
      });
    }

    // Near but different: a contrast template, cycling through the family's list.
    const near = family.near[(b * 2) % family.near.length]!;
    attempt(() => ({
      a: stop(render(near.a ?? pick(family.say), binding, seconds)),
      b: stop(render(near.b, binding, seconds)),
      label: 'different',
      note: `${tag} different-${near.kind}`,
    }));
    if (family.near.length > 2 && b < 2) {
      const more = family.near[(b * 2 + 1) % family.near.length]!;
      attempt(() => ({
        a: stop(render(more.a ?? pick(family.say), binding, seconds)),
        b: stop(render(more.b, binding, seconds)),
        label: 'different',
        note: `${tag} different-${more.kind}`,
      }));
    }

    // Different: one slot takes another value, in the same template (a minimal edit) or another.
    const vary = family.vary[b % family.vary.length]!;
    attempt(() => {
      const changed = { ...binding, [vary.slot]: other(family, binding, vary.slot) };
      const i = Math.floor(random() * family.say.length);
      const j = chance(0.6) ? i : Math.floor(random() * family.say.length);
      return {
        a: stop(render(family.say[i] as string, binding)),
        b: stop(render(family.say[j] as string, changed)),
        label: 'different',
        note: `${tag} different-${vary.kind}: ${vary.slot} ${canonical(binding[vary.slot] as string)} vs ${canonical(changed[vary.slot] as string)}`,
      };
    });

    // Update: the older statement, then a newer one changing one slot (often saying so).
    if (family.update !== undefined && family.subject !== undefined) {
      const update = family.update[b % family.update.length]!;
      attempt(() => {
        const changed = { ...binding, [update.slot]: other(family, binding, update.slot) };
        const plain = chance(0.25); // a plain restatement with the new value, no word of change
        const newer = plain ? pick(family.say) : pick(update.say);
        return {
          a: stop(render(pick(family.say), binding)),
          b: stop(render(newer, changed, { old: binding[update.slot] as string })),
          label: 'update',
          subject: subjectOf(family.subject as string, binding),
          note: `${tag} update-${plain ? 'restated' : 'changed'}: ${update.slot} ${canonical(binding[update.slot] as string)} -> ${canonical(changed[update.slot] as string)}`,
        };
      });
    }
  }
}

// ---- hand-written pairs ---------------------------------------------------------------------
// Longer, freer wordings than the templates: first person beside third, notes beside prose,
// abbreviations, and negatives that differ in one word or in the order of two names.

const HAND_DUPLICATES: [string, string, string][] = [
  ['health', 'User is training for the Berlin marathon in September.', "The user's goal race is the Berlin marathon this September; they are in a training block for it."],
  ['preferences', 'Prefers answers in bullet points, not long paragraphs.', 'When answering, use bullet points; the user finds long paragraphs hard to read.'],
  ['people', "Dana's son Leo started nursery in January.", "Leo, Dana's son, has been going to nursery since January."],
  ['health', "I'm allergic to penicillin", 'User has a penicillin allergy.'],
  ['tools', 'The staging database is reset every Sunday night.', 'Every Sunday night the staging DB gets wiped and reset.'],
  ['work', 'Priya is the point of contact for the Kestrel vendor contract.', 'For anything about the Kestrel vendor contract, talk to Priya.'],
  ['finance', 'Our AWS bill is about $14,000 a month.', 'The monthly AWS spend is roughly 14k USD.'],
  ['preferences', "Marco doesn't drink alcohol.", 'Marco is teetotal.'],
  ['preferences', 'The user never eats pork.', 'User avoids pork entirely.'],
  ['people', 'Sofia hates being called Sophie.', "Don't call Sofia 'Sophie', she dislikes it."],
  ['work', 'The office is closed between Christmas and New Year.', 'Between Christmas and New Year the office shuts.'],
  ['travel', "Kenji's flight lands at Heathrow Terminal 5 at 07:45 on Friday.", 'Friday: Kenji arrives at Heathrow T5, landing 7:45am.'],
  ['tools', "The release checklist lives in the Notion page 'Ship it'.", "Notion page 'Ship it' holds the release checklist."],
  ['finance', 'User wants to save a house deposit of 40,000 pounds by 2027.', 'Goal: £40k house deposit saved by 2027.'],
  ['people', 'Tom is colour-blind (red-green), so charts should not rely on red vs green.', 'Avoid red/green contrasts in charts for Tom; he has red-green colour blindness.'],
  ['work', 'The Wi-Fi at the Lisbon office is unreliable in the afternoons.', 'Afternoons, the Lisbon office Wi-Fi keeps dropping.'],
  ['work', 'Grace is on parental leave until the end of March.', 'Grace returns from parental leave at the end of March.'],
  ['people', "The user's daughter Mia plays the violin.", "Mia (the user's daughter) plays violin."],
  ['tools', 'Write commit messages in the imperative mood.', "Commit messages should use the imperative mood (e.g. 'Add', not 'Added')."],
  ['people', "User's preferred pronouns are they/them.", 'The user uses they/them pronouns.'],
  ['health', 'Fatima is vegetarian but eats fish.', 'Fatima is pescatarian.'],
  ['work', 'The quarterly board meeting is always on the first Thursday of the quarter.', 'Board meets quarterly, on the first Thursday of each quarter.'],
  ['people', "Lukas's favourite football club is Borussia Dortmund.", 'Lukas supports Borussia Dortmund.'],
  ['health', 'The user sleeps badly when they drink coffee after 2pm.', "Coffee after 14:00 ruins the user's sleep."],
  ['work', 'Our main competitor is Brightline Health.', "Brightline Health is the company's biggest competitor."],
  ['travel', "The user's passport expires in November 2026.", 'Passport expiry: Nov 2026.'],
  ['work', 'Jonas does not want to be cc\'d on vendor emails.', 'Leave Jonas off the cc list for emails with vendors.'],
  ['tools', "Elena's team uses Jira for bug tracking.", "Bugs in Elena's team are tracked in Jira."],
  ['health', "The user's home gym has a rowing machine and a set of kettlebells.", 'At home the user has kettlebells and a rowing machine for workouts.'],
  ['plans', 'Ravi is moving house on the 3rd of June, so he will be offline that day.', 'Ravi will be offline on 3 June because he is moving house that day.'],
  ['work', 'Mei asked that every design review include accessibility checks: colour contrast, keyboard navigation and screen-reader labels. She wants them recorded in the review notes.', 'Per Mei, design reviews must cover accessibility (contrast, keyboard navigation, screen-reader labels) and the results should go into the review notes.'],
  ['preferences', 'The user prefers metric units.', 'Use kilometres and kilograms with the user, not miles and pounds.'],
  ['work', 'Omar is the best person to ask about Kubernetes networking.', 'For Kubernetes networking questions, Omar is the go-to expert.'],
  ['people', "Chloe's wedding is on 14 September in Bordeaux.", 'Chloe gets married in Bordeaux on September 14.'],
  ['preferences', 'The user likes their coffee black, no sugar.', 'Black coffee without sugar is how the user takes it.'],
  ['tools', "Project Orion's repository is github.com/larkspur/orion.", 'The Orion code lives at github.com/larkspur/orion.'],
  ['people', 'Hannah runs the London book club on the last Wednesday of each month.', 'The London book club, organised by Hannah, meets on the final Wednesday of every month.'],
  ['people', 'User is learning Japanese and practises 20 minutes a day on Duolingo.', "Practising Japanese on Duolingo for twenty minutes daily is part of the user's routine."],
  ['tools', 'The test suite takes about 12 minutes on CI.', 'CI needs roughly twelve minutes to run the tests.'],
  ['preferences', 'Yusuf prefers not to have meetings on Fridays.', 'Avoid booking meetings with Yusuf on Fridays.'],
  ['preferences', 'Keep answers short: the user reads them on a phone.', 'The user reads replies on their phone, so they should be brief.'],
  ['work', 'Mateo is a contractor, not a full-time employee.', 'Mateo works for the company as a contractor rather than as a permanent employee.'],
  ['health', "The user's blood type is O negative.", 'Blood group: O negative (user).'],
  ['plans', 'The cleaner comes every other Tuesday at 10.', 'Every second Tuesday the cleaner comes in at 10am.'],
  ['work', 'Dana wants the weekly report sent by Friday noon.', 'The weekly report is due to Dana by 12:00 on Fridays.'],
  ['travel', 'I always get travel sickness on ferries.', 'The user gets seasick on ferries, every time.'],
  ['tools', 'Production alerts go to the #payments-alerts Slack channel.', 'The #payments-alerts channel in Slack receives the production alerts.'],
  ['plans', 'The family reunion is in Porto over the Easter weekend.', 'Over Easter weekend the whole family meets up in Porto for the reunion.'],
  ['finance', 'The user has an ISA with Vanguard and pays in 500 pounds a month.', 'Every month £500 goes into the user\'s Vanguard ISA.'],
  ['people', "Ravi's wife is a paediatric nurse at St Mary's.", "Ravi is married to a nurse who works in paediatrics at St Mary's."],
];

const HAND_DIFFERENT: [string, string, string, string][] = [
  ['travel', 'relation', "Alice's flight is on Monday.", "Alice's hotel check-in is on Monday."],
  ['preferences', 'polarity', 'Bob likes tea.', 'Bob dislikes tea.'],
  ['health', 'person', 'The user is allergic to peanuts.', "The user's son is allergic to peanuts."],
  ['work', 'entity', 'Send the invoice to finance by Friday.', 'Send the invoice to legal by Friday.'],
  ['tools', 'unit', 'The API rate limit is 100 requests per minute.', 'The API rate limit is 100 requests per second.'],
  ['people', 'person', "Dana's mother lives in Leeds.", "Dana's mother-in-law lives in Leeds."],
  ['health', 'date', 'The user takes vitamin D in winter.', 'The user takes vitamin D in summer.'],
  ['work', 'modality', 'Marco can attend the offsite in person.', 'Marco can only attend the offsite remotely.'],
  ['tools', 'entity', 'Staging is deployed automatically on every merge.', 'Production is deployed automatically on every merge.'],
  ['people', 'tense', 'The user wants to learn to play the piano.', 'The user learned to play the piano as a child.'],
  ['work', 'polarity', 'Priya approved the budget for the Kestrel redesign.', 'Priya rejected the budget for the Kestrel redesign.'],
  ['plans', 'date', "The kids' swimming lesson is at 5pm on Wednesdays.", "The kids' swimming lesson is at 5pm on Thursdays."],
  ['people', 'person', "User's sister is called Anna.", "User's sister-in-law is called Anna."],
  ['tools', 'number', "The user's laptop is a 14-inch MacBook Pro.", "The user's laptop is a 16-inch MacBook Pro."],
  ['work', 'relation', 'Kenji leads the payments team.', 'Kenji left the payments team.'],
  ['tools', 'direction', 'The backup runs before the deploy.', 'The backup runs after the deploy.'],
  ['tools', 'negation', 'Sofia is allowed to merge to main.', 'Sofia is not allowed to merge to main.'],
  ['health', 'relation', "The user's gym membership renews in March.", "The user's gym membership ends in March."],
  ['preferences', 'polarity', 'Tom recommended the Thai place on Elm Street.', 'Tom warned against the Thai place on Elm Street.'],
  ['health', 'direction', 'The user drinks decaf after lunch.', 'The user drinks decaf before lunch.'],
  ['finance', 'role-swap', 'Fatima owes the user 50 euros.', 'The user owes Fatima 50 euros.'],
  ['work', 'role-swap', "Lukas is Elena's manager.", "Elena is Lukas's manager."],
  ['preferences', 'qualifier', 'The user wants email summaries daily.', 'The user wants email summaries weekly.'],
  ['finance', 'relation', "Dana's car insurance is with Aviva.", "Dana's home insurance is with Aviva."],
  ['travel', 'relation', "Mei's visa application was approved in May.", "Mei's visa application was submitted in May."],
  ['work', 'number', 'Order #4412 was refunded.', 'Order #4421 was refunded.'],
  ['work', 'number', 'The conference talk is 25 minutes long.', 'The conference talk is 45 minutes long.'],
  ['preferences', 'value', 'Omar prefers dark mode in his IDE.', 'Omar prefers light mode in his IDE.'],
  ['people', 'person', 'The user speaks some German.', "The user's partner speaks some German."],
  ['travel', 'direction', "Grace's train leaves from Paddington.", "Grace's train arrives at Paddington."],
  ['health', 'value', 'Jonas is vegetarian.', 'Jonas is vegan.'],
  ['work', 'date', 'The office opens at 8am on weekdays.', 'The office opens at 8am on weekends.'],
  ['finance', 'tense', 'The user has already paid the electricity bill for May.', 'The user still has to pay the electricity bill for May.'],
  ['people', 'entity', "Ravi's daughter is starting university in Manchester.", "Ravi's daughter is starting university in Edinburgh."],
  ['preferences', 'value', 'Use British spelling in documents for the user.', 'Use American spelling in documents for the user.'],
  ['health', 'number', "The user's resting heart rate is around 55.", "The user's resting heart rate is around 65."],
  ['health', 'superset', 'Hannah is allergic to cats.', 'Hannah is allergic to cats and dogs.'],
  ['travel', 'value', "Yusuf's flight to Dubai is delayed.", "Yusuf's flight to Dubai is cancelled."],
  ['people', 'polarity', 'Mateo passed his driving test.', 'Mateo failed his driving test.'],
  ['health', 'relation', 'The user meditates before bed.', 'The user meditates right after waking up.'],
  ['work', 'entity', 'The design review is in room 4B.', 'The design review is in room 4D.'],
  ['finance', 'unit', 'Budget for the team offsite: 5,000 euros.', 'Budget for the team offsite: 5,000 euros per person.'],
  ['finance', 'polarity', 'The user sold their Tesla shares.', 'The user bought more Tesla shares.'],
  ['people', 'relation', "Elena's birthday party is at her flat.", "Elena's farewell party is at her flat."],
  ['finance', 'polarity', "The user's landlord is raising the rent.", "The user's landlord is lowering the rent."],
  ['tools', 'entity', 'The incident on 3 March was caused by an expired TLS certificate on the payments gateway; the fix was to automate renewals with cert-manager.', 'The incident on 3 March was caused by an expired TLS certificate on the search cluster; the fix was to automate renewals with cert-manager.'],
  ['health', 'person', "The kids' dentist is Dr Okafor at the Riverside clinic.", "The user's dentist is Dr Okafor at the Riverside clinic."],
  ['work', 'relation', 'Priya works remotely on Mondays and Fridays.', 'Priya works in the office on Mondays and Fridays.'],
  ['travel', 'scope', 'The user prefers window seats on trains.', 'The user prefers window seats on planes.'],
  ['people', 'unit', "Marco's son is 10.", "Marco's son is 10 months old."],
  ['work', 'tense', 'Tom would like to be promoted to staff engineer this year.', 'Tom was promoted to staff engineer this year.'],
  ['finance', 'value', 'The user is saving for a car.', 'The user is saving for a house.'],
  ['work', 'superset', 'Chloe has a meeting with the bank on Tuesday.', 'Chloe has a meeting with the bank on Tuesday to sign the mortgage offer.'],
  ['tools', 'negation', 'The nightly job retries failed uploads.', 'The nightly job does not retry failed uploads.'],
  ['plans', 'modality', 'The user might go to the Lisbon meetup in May.', 'The user is definitely going to the Lisbon meetup in May.'],
  ['travel', 'direction', 'Priya is flying to Lisbon on Friday.', 'Priya is flying from Lisbon on Friday.'],
  ['work', 'role-swap', 'Omar moved from the payments team to the search team.', 'Omar moved from the search team to the payments team.'],
  ['work', 'role-swap', 'The user sends the weekly report to Dana.', 'Dana sends the weekly report to the user.'],
];

const HAND_UPDATES: [string, string, string, string][] = [
  ['people', 'user.home_city', 'User lives in Utrecht.', 'User moved to Berlin last month.'],
  ['work', 'dana.manager', "Dana's manager is Priya.", 'After the reorg, Dana reports to Omar.'],
  ['tools', 'user.phone_model', "The user's phone is a Pixel 6.", 'The user upgraded to an iPhone 15.'],
  ['health', 'alice.training_goal', 'Alice is training for a half marathon.', 'Alice has signed up for the full marathon instead of the half.'],
  ['work', 'team.retro_time', 'The team retro is on Fridays at 4pm.', 'The retro moved to Thursday afternoons.'],
  ['health', 'user.weight_goal', "User's weight goal is 75 kg.", 'User lowered the weight goal to 72 kg.'],
  ['people', 'bob.address', "Bob's address is 12 Elm Street, Leeds.", "Bob's new address: 4 Canal Row, Leeds."],
  ['work', 'heron.cutover_date', 'The Heron cutover is planned for 31 August.', 'Heron cutover slipped two weeks, to 14 September.'],
  ['people', 'user.relationship_status', 'User is single.', 'User got engaged to Sam in June.'],
  ['health', 'user.coffee_per_day', 'The user drinks three coffees a day.', 'The user has cut down to one coffee a day.'],
  ['people', 'kenji.learning_language', 'Kenji is learning Spanish.', 'Kenji gave up Spanish and is learning Portuguese now.'],
  ['preferences', 'user.favourite_band', "The user's favourite band is Radiohead.", "These days the user's favourite band is Wet Leg."],
  ['tools', 'priya.laptop', 'Priya uses a Windows laptop.', 'Priya got a MacBook and no longer uses Windows.'],
  ['finance', 'user.grocery_budget', 'The monthly budget for groceries is 400 euros.', 'Grocery budget raised to 500 euros a month.'],
  ['work', 'team.support_rota', 'The support rota rotates weekly.', 'The support rota now rotates every two weeks.'],
  ['people', 'sofia.surname', "Sofia's surname is Marin.", 'Sofia took her husband\'s name and is now Sofia Keller.'],
  ['work', 'user.main_project', "The user's main project is the billing rewrite.", 'The user has been moved off billing onto the search relaunch.'],
  ['work', 'marco.team', 'Marco is on the growth team.', 'Marco transferred to the platform team.'],
  ['health', 'user.running_shoes', "The user's running shoes are Brooks Ghost 15.", 'User replaced the Ghosts with Hoka Clifton 9.'],
  ['people', 'lukas.dog_age', "Lukas's dog Bruno is 3 years old.", "Lukas's dog Bruno turned 4 last week."],
  ['travel', 'user.commute_train', 'User takes the 8:10 train to work.', 'User now catches the 7:40 train to work.'],
  ['tools', 'infra.default_reviewer', 'The default reviewer for infra PRs is Omar.', 'Infra PRs now go to Grace for review by default.'],
  ['health', 'user.dentist', "User's dentist is Dr Patel.", 'User switched to Dr Okafor as their dentist.'],
  ['preferences', 'user.coffee_roast', 'The user prefers dark roast coffee.', 'The user has gone off dark roast and prefers light roast now.'],
  ['work', 'elena.working_days', 'Elena works four days a week.', 'Elena is back to full time, five days a week.'],
  ['work', 'kestrel.beta_testers', 'The Kestrel beta has 200 testers.', 'The Kestrel beta grew to 350 testers.'],
  ['people', 'user.emergency_contact', "User's emergency contact is their brother Sam.", "User's emergency contact is now their partner, Alex."],
  ['work', 'hannah.leave_status', 'Hannah is on parental leave.', 'Hannah is back from parental leave.'],
  ['preferences', 'user.answer_language', 'Answer the user in English.', 'The user asked to be answered in Dutch from now on.'],
  ['tools', 'user.shell', 'The user uses bash as their shell.', 'The user switched their shell to fish.'],
];

for (const [domain, a, b] of HAND_DUPLICATES) add({ a, b, label: 'duplicate', note: `${domain}/hand duplicate-paraphrase` });
for (const [domain, kind, a, b] of HAND_DIFFERENT) add({ a, b, label: 'different', note: `${domain}/hand different-${kind}` });
for (const [domain, subject, a, b] of HAND_UPDATES) add({ a, b, label: 'update', subject, note: `${domain}/hand update-changed` });

pairs.forEach((pair, i) => (pair.id = `c${String(i + 1).padStart(4, '0')}`));

const out = join(dirname(fileURLToPath(import.meta.url)), 'consolidation-pairs.jsonl');
writeFileSync(out, pairs.map((p) => JSON.stringify({ id: p.id, a: p.a, b: p.b, label: p.label, ...(p.subject !== undefined && { subject: p.subject }), ...(p.note !== undefined && { note: p.note }) })).join('\n') + '\n');

const count = (label: PairLabel): number => pairs.filter((p) => p.label === label).length;
console.log(`wrote ${pairs.length} pairs to ${out}: ${count('duplicate')} duplicate, ${count('different')} different, ${count('update')} update`);
