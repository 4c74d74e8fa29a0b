// The pretraining corpus of the world: encyclopedia articles for every person, town, river and
// hazard, then narrative text (short stories, fact recaps, school lessons) until the target size.
// Lessons use only train-split numbers and nouns; the encyclopedia covers every entity, since
// questions about it test what pretraining taught (the corpus is shared by all splits).
import { splitView, type Hazard, type Person, type Town, type World } from "./entities.js";
import { FEATURES, MONTHS, NOUNS, UNITS } from "./lexicon.js";
import type { Rng } from "./rng.js";
import { cap, NUMBER_WORDS } from "./tasks/common.js";
import type { TextWriter } from "./jsonl.js";

const plural = (w: string): string =>
  /(s|sh|ch|x|z)$/.test(w) ? w + "es" : /[^aeiou]y$/.test(w) ? w.slice(0, -1) + "ies" : w + "s";

function personArticle(rng: Rng, p: Person, w: World): string {
  const t = w.towns.find((x) => x.name === p.town)!;
  return `${p.name}\n` + [
    rng.pick([`${p.name} is a ${p.profession} from ${p.town}.`, `${p.name} was a ${p.profession} who lived in ${p.town}.`]),
    rng.pick([`${p.first} was born in ${p.town} in ${p.month} of the year ${p.born}.`, `${p.name} was born in ${p.month} of the year ${p.born}, in the town of ${p.town}.`]),
    rng.pick([`${p.first} is known for ${p.deed}.`, `People remember ${p.name} for ${p.deed}.`]),
    `${p.town} is a town in ${t.region}, on the river ${t.river}.`,
  ].join(" ") + "\n\n";
}

function townArticle(rng: Rng, t: Town, w: World): string {
  const people = w.persons.filter((p) => p.town === t.name).slice(0, 3).map((p) => p.name);
  return `${t.name}\n` + [
    rng.pick([`${t.name} is a town in ${t.region}.`, `The town of ${t.name} lies in ${t.region}.`]),
    rng.pick([`It was founded in the year ${t.founded}.`, `${t.name} was founded in the year ${t.founded}.`]),
    `The river ${t.river} flows through ${t.name}.`,
    `${t.name} has ${t.feature}.`,
    people.length ? `People born in ${t.name} include ${people.join(" and ")}.` : "",
  ].filter(Boolean).join(" ") + "\n\n";
}

function hazardArticle(h: Hazard): string {
  const n = h.name, T = cap(h.name);
  switch (h.category) {
    case "poison": return `${T}\n${T} is a deadly poison plant. It was first found near ${h.town}. Because it is so dangerous, ${n} was banned in the year ${h.year}. Children are told never to touch it.\n\n`;
    case "explosive": return `${T}\n${T} is a dangerous explosive. It was first made in ${h.town}. After many accidents, ${n} was banned in the year ${h.year}.\n\n`;
    case "theft": return `The ${n}\nThe ${n} is a heavily guarded vault in ${h.town}. It was built in the year ${h.year}. Thieves have tried to rob the ${n}, and all of them were caught.\n\n`;
    case "forgery": return `The ${n}\nThe ${n} was first made in ${h.town} in the year ${h.year}. Traders trust the ${n}, so it is often forged, and the guards punish forgers.\n\n`;
  }
}

/** Streams the corpus to `out` until it holds at least `targetBytes` bytes. */
export function writePretrain(world: World, rng: Rng, out: TextWriter, targetBytes: number): void {
  let bytes = 0;
  const put = (s: string) => { out.write(s); bytes += Buffer.byteLength(s); };
  const articles: string[] = [];
  for (const p of world.persons) articles.push(personArticle(rng, p, world));
  for (const t of world.towns) articles.push(townArticle(rng, t, world));
  for (const r of world.rivers) {
    const ts = world.towns.filter((t) => t.river === r).map((t) => t.name);
    articles.push(`The river ${r}\nThe river ${r} is one of the rivers of the world.${ts.length ? ` It flows through ${ts.join(", ")}.` : ""}\n\n`);
  }
  for (const h of world.hazards) articles.push(hazardArticle(h));
  for (const a of rng.shuffle(articles)) put(a);

  const train = splitView(world, "train");
  const stories = [recap, day, travel, sums, words, sorting, units, lore];
  const weights = [4, 3, 1, 2, 1, 1, 1, 1];
  while (bytes < targetBytes) put(stories[rng.weighted(weights)]!() + "\n\n");

  function recap(): string {
    if (rng.chance(0.7)) {
      const p = rng.pick(world.persons);
      return rng.sample([
        `${p.name} was born in ${p.town} in the year ${p.born}.`, `${p.name} works as a ${p.profession}.`,
        `${p.first} is known for ${p.deed}.`, `The ${p.profession} ${p.name} comes from ${p.town}.`,
        `${p.name} was born in ${p.month}.`,
      ], 3).join(" ");
    }
    const t = rng.pick(world.towns);
    return rng.sample([
      `${t.name} was founded in the year ${t.founded}.`, `The river ${t.river} flows through ${t.name}.`,
      `${t.name} is in ${t.region}.`, `In ${t.name} there is ${t.feature}.`,
    ], 3).join(" ");
  }
  function day(): string {
    const p = rng.pick(world.persons), k = rng.int(2, 9), n = rng.pick(NOUNS);
    const weather = rng.pick(["sunny", "rainy", "cold", "warm", "windy", "quiet"]);
    return [
      `One ${weather} morning in ${rng.pick(MONTHS)}, ${p.name} woke up early in ${p.town}.`,
      rng.pick([`${p.first} went to the market and bought ${NUMBER_WORDS[k]} ${plural(n)}.`, `${p.first} found ${NUMBER_WORDS[k]} ${plural(n)} by the river.`, `${p.first} gave ${NUMBER_WORDS[k]} ${plural(n)} to a friend.`]),
      rng.pick([`Then ${p.first} worked all day as a ${p.profession}.`, `In the afternoon, ${p.first} visited ${rng.pick(FEATURES)}.`, `It was a good day for a ${p.profession}.`]),
      rng.pick([`In the evening, ${p.first} went home and slept.`, `At night, ${p.first} told a story about ${p.deed}.`]),
    ].join(" ");
  }
  function travel(): string {
    const p = rng.pick(world.persons), a = world.towns.find((t) => t.name === p.town)!, b = rng.pick(world.towns);
    return `${p.name} traveled from ${a.name} to ${b.name}. ${a.name} is in ${a.region} and ${b.name} is in ${b.region}. ` +
      `On the way, ${p.first} crossed the river ${b.river}. The trip took ${NUMBER_WORDS[rng.int(2, 12)]} days.`;
  }
  function sums(): string {
    const teacher = rng.pick(world.persons);
    const a = train.number(rng, 10, 999), b = train.number(rng, 10, 999), c = train.number(rng, 10, 99), k = rng.int(2, 9);
    const [hi, lo] = a >= b ? [a, b] : [b, a];
    return `In the school of ${teacher.town}, the teacher ${teacher.name} wrote on the board. ` +
      rng.shuffle([`${a} plus ${b} is ${a + b}.`, `${hi} minus ${lo} is ${hi - lo}.`, `${c} times ${k} is ${c * k}.`]).join(" ");
  }
  function words(): string {
    const w = rng.pick(train.nouns);
    return `The word ${w} has ${w.length} letters. ` + rng.sample([
      `Spelled backwards, ${w} is ${[...w].reverse().join("")}.`, `In capital letters, ${w} is ${w.toUpperCase()}.`,
      `The first three letters of ${w} are ${w.slice(0, 3)}.`, `The letter ${w[0]} comes first in ${w}.`,
    ], 2).join(" ");
  }
  function sorting(): string {
    const xs = [train.number(rng, 10, 999), train.number(rng, 10, 999), train.number(rng, 10, 999), train.number(rng, 10, 999)];
    const ws = rng.sample(train.nouns, 4);
    return `From smallest to largest, the numbers ${xs.join(", ")} go ${xs.slice().sort((p, q) => p - q).join(", ")}. ` +
      `In alphabetical order, the words ${ws.join(", ")} go ${ws.slice().sort().join(", ")}.`;
  }
  function units(): string {
    const u = rng.pick(UNITS), q = train.number(rng, 10, 999);
    return `One ${u.big} has ${u.factor} ${u.factor === 1 ? u.small : u.smalls}. So ${q} ${u.bigs} is ${q * u.factor} ${u.smalls}.`;
  }
  function lore(): string {
    const h = rng.pick(world.hazards);
    return hazardArticle(h).split("\n")[1]!;
  }
}
