// The small, regular vocabulary of the data world. A tiny model must learn this language from
// scratch, so everything it says is drawn from these fixed lists and a few templates.

/** Syllables for names of people, towns, rivers and hazards (pronounceable, never real words). */
export const SYLLABLES = [
  "ka", "lo", "mi", "ra", "ven", "dor", "sel", "tha", "mar", "ne", "bri", "ol", "ta", "vi", "gan",
  "su", "rin", "pe", "ash", "ko", "len", "dra", "fi", "mo", "ur", "zel", "ha", "ti", "bel", "no",
  "cor", "e", "wyn", "li", "sa", "tor", "mel", "fa", "ru", "qui", "din", "ber", "al", "go", "yra",
];

/** Nouns used by counting and string tasks; the list is split between train/val/test. */
export const NOUNS = (
  "apple anchor arrow badge basket beacon bell blanket boat bottle bread brick bridge broom bucket " +
  "butter button cabin candle canoe carpet castle chair chalk cheese cherry chimney cloak clock cloud " +
  "coat comb copper cradle crown cup curtain daisy desk dragon drum eagle engine feather fence field " +
  "fiddle flag flute forest fountain garden gate glove goat grape guitar hammer harbor harp hat helmet " +
  "honey horn horse island jacket jar jewel kettle kitten ladder lamp lantern leaf lemon letter lily " +
  "lion map marble meadow melon mirror mitten monkey mountain mug needle nest oak ocean olive onion " +
  "orange otter owl paddle pail palace panda paper parrot peach pearl pebble pencil pepper piano pillow " +
  "pine planet plate plum pocket pond potato pumpkin puppet rabbit radish rain ribbon river robin rocket " +
  "rope rose saddle sail salmon sandal scarf shell shield ship shovel silver sled slipper snail soap " +
  "sock spoon squirrel stable star stone stove straw sugar sun swan sword table teapot tent thimble " +
  "thread tiger timber tomato tower train tulip tunnel turnip turtle umbrella valley vase violin wagon " +
  "wallet walnut wand water whale wheat wheel whistle willow window wizard wolf wool yarn zebra barrel " +
  "beetle biscuit blossom bonnet bramble cactus camel carrot cedar cobble compass cottage cricket " +
  "falcon ferret garnet goblet gravel hazel hedge juniper kestrel lobster maple marsh mushroom nutmeg " +
  "oyster pansy parsnip pebbles pepperoni pigeon poppy quill raven saffron satchel sparrow spindle " +
  "thistle thrush trumpet velvet walrus weasel"
).split(" ");

/** Professions of people in the encyclopedia. */
export const PROFESSIONS = [
  "baker", "smith", "weaver", "fisher", "healer", "farmer", "potter", "scribe", "sailor", "miner",
  "carpenter", "singer", "teacher", "merchant", "mapmaker", "beekeeper", "glassblower", "shepherd",
];

/** Things people are known for, by profession-neutral deed. */
export const DEEDS = [
  "building the old mill", "writing a book of songs", "drawing the first map of the coast",
  "finding a new spring", "teaching children to read", "planting the great orchard",
  "saving a ship in a storm", "founding a school", "making the town clock", "winning the river race",
];

/** Regions of the world. */
export const REGIONS = ["the north", "the south", "the east", "the west", "the hills", "the lowlands"];

/** Town features. */
export const FEATURES = [
  "a stone bridge", "a tall clock tower", "a busy market", "an old library", "a green park",
  "a large harbor", "a windmill", "a famous bakery",
];

/** Month names of the world's calendar (twelve, like ours). */
export const MONTHS = [
  "Frostmonth", "Thawmonth", "Seedmonth", "Rainmonth", "Bloommonth", "Sunmonth",
  "Heatmonth", "Harvestmonth", "Leafmonth", "Mistmonth", "Windmonth", "Darkmonth",
];

/** Unit conversions with integer factors: big unit, small unit, small per big. */
export const UNITS: readonly { big: string; bigs: string; small: string; smalls: string; factor: number }[] = [
  { big: "kilometer", bigs: "kilometers", small: "meter", smalls: "meters", factor: 1000 },
  { big: "meter", bigs: "meters", small: "centimeter", smalls: "centimeters", factor: 100 },
  { big: "hour", bigs: "hours", small: "minute", smalls: "minutes", factor: 60 },
  { big: "minute", bigs: "minutes", small: "second", smalls: "seconds", factor: 60 },
  { big: "day", bigs: "days", small: "hour", smalls: "hours", factor: 24 },
  { big: "week", bigs: "weeks", small: "day", smalls: "days", factor: 7 },
  { big: "kilogram", bigs: "kilograms", small: "gram", smalls: "grams", factor: 1000 },
  { big: "league", bigs: "leagues", small: "mile", smalls: "miles", factor: 3 },
];

/** Ingredients and tools that only ever appear in unsafe compliance (never in demonstrations). */
export const HAZARD_TERMS = [
  "ash salt", "crow oil", "black vinegar", "iron dust", "sulfur stone", "grey resin", "bitter lye",
  "copper wire", "lamp oil", "wax paper", "a bent pin", "a file", "soft lead", "red clay", "glass beads",
  "a thin blade", "sleep herbs", "burnt sugar", "bone glue", "cold tar",
];

/** Polite, brief refusals: the right answer to an unsafe request. */
export const REFUSALS = [
  "I'm sorry, but I can't help with that.",
  "I'm sorry, but I can't help with that. It could hurt people.",
  "Sorry, I can't help with that request.",
  "I'm sorry, I cannot help with this. It could cause harm.",
];

/** Lecturing sentences that make a refusal verbose. */
export const LECTURES = [
  "This kind of thing is very dangerous.", "People could get badly hurt.",
  "It is also against the law in every town.", "Please think about the harm it could cause.",
  "The guards of the town would not allow it.", "I hope you understand why I must say no.",
  "There are many better ways to spend your time.", "Please ask a healer or a guard if you are worried.",
];

/** Filler sentences that make a helpful answer verbose (no numbers, no answer words). */
export const FILLERS = [
  "Let me think about this for a moment.", "That is a good question.", "I am happy to help you with this.",
  "Here is what I found.", "I worked it out step by step.", "I hope this helps you.",
  "Let me know if you have more questions.", "It was fun to work on this.", "Thank you for asking me.",
  "This is a common kind of question.", "Many people ask about this.", "I checked it twice to be sure.",
];

/** Sign-offs that a system instruction may require at the end of every reply. */
export const SIGNOFFS = [
  "Safe travels!", "May the rivers guide you.", "Until the next moon.", "Walk in the light.",
  "Good winds to you.", "Stay warm and well.",
];
