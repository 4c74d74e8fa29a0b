// Unicode script of a code point, as sentencepiece's trainer uses it to refuse pieces that mix
// scripts (trainer_interface.cc IsValidSentencePiece, split_by_unicode_script). Uses the engine's
// Unicode tables (\p{Script=...}); characters of no listed script count as Common, like
// sentencepiece's unicode_script.cc default.

const NAMES = (
  "Latin Common Inherited Greek Cyrillic Han Hiragana Katakana Arabic Hebrew Devanagari Thai Hangul " +
  "Armenian Georgian Bengali Tamil Telugu Kannada Malayalam Gujarati Gurmukhi Oriya Sinhala Lao " +
  "Tibetan Myanmar Khmer Ethiopic Cherokee Mongolian Bopomofo Yi Thaana Syriac Nko Tifinagh " +
  "Canadian_Aboriginal Adlam Ahom Anatolian_Hieroglyphs Avestan Balinese Bamum Bassa_Vah Batak " +
  "Bhaiksuki Brahmi Braille Buginese Buhid Carian Caucasian_Albanian Chakma Cham Chorasmian Coptic " +
  "Cuneiform Cypriot Cypro_Minoan Deseret Dives_Akuru Dogra Duployan Egyptian_Hieroglyphs Elbasan " +
  "Elymaic Glagolitic Gothic Grantha Gunjala_Gondi Hanifi_Rohingya Hanunoo Hatran Imperial_Aramaic " +
  "Inscriptional_Pahlavi Inscriptional_Parthian Javanese Kaithi Kawi Kayah_Li Kharoshthi " +
  "Khitan_Small_Script Khojki Khudawadi Lepcha Limbu Linear_A Linear_B Lisu Lycian Lydian Mahajani " +
  "Makasar Mandaic Manichaean Marchen Masaram_Gondi Medefaidrin Meetei_Mayek Mende_Kikakui " +
  "Meroitic_Cursive Meroitic_Hieroglyphs Miao Modi Mro Multani Nabataean Nag_Mundari Nandinagari " +
  "New_Tai_Lue Newa Nushu Nyiakeng_Puachue_Hmong Ogham Ol_Chiki Old_Hungarian Old_Italic " +
  "Old_North_Arabian Old_Permic Old_Persian Old_Sogdian Old_South_Arabian Old_Turkic Old_Uyghur Osage " +
  "Osmanya Pahawh_Hmong Palmyrene Pau_Cin_Hau Phags_Pa Phoenician Psalter_Pahlavi Rejang Runic " +
  "Samaritan Saurashtra Sharada Shavian Siddham SignWriting Sogdian Sora_Sompeng Soyombo Sundanese " +
  "Syloti_Nagri Tagalog Tagbanwa Tai_Le Tai_Tham Tai_Viet Takri Tangsa Tangut Tirhuta Toto Ugaritic " +
  "Vai Vithkuqi Wancho Warang_Citi Yezidi Zanabazar_Square"
).split(" ");

// Scripts this engine knows (an unknown name is a SyntaxError), tested in the order above.
const SCRIPTS: { name: string; re: RegExp }[] = [];
for (const name of NAMES) {
  try {
    SCRIPTS.push({ name, re: new RegExp(`^\\p{Script=${name}}$`, "u") });
  } catch {
    // older Unicode tables: skip the script
  }
}

/** Script index of Common (punctuation, digits, symbols). */
export const SCRIPT_COMMON = NAMES.indexOf("Common");
/** Script index of Inherited (combining marks: take the previous character's script). */
export const SCRIPT_INHERITED = NAMES.indexOf("Inherited");
const HAN = NAMES.indexOf("Han");
const HIRAGANA = NAMES.indexOf("Hiragana");
const KATAKANA = NAMES.indexOf("Katakana");

const cache = new Map<number, number>();

/**
 * The script index of code point cp, with Hiragana, Katakana and U+30FC merged into Han as
 * sentencepiece does; Common when no script matches.
 */
export function scriptOf(cp: number): number {
  let s = cache.get(cp);
  if (s !== undefined) return s;
  s = SCRIPT_COMMON;
  if (cp === 0x30fc) s = HAN;
  else {
    const ch = String.fromCodePoint(cp);
    for (const { name, re } of SCRIPTS) {
      if (re.test(ch)) {
        s = NAMES.indexOf(name);
        break;
      }
    }
    if (s === HIRAGANA || s === KATAKANA) s = HAN;
  }
  cache.set(cp, s);
  return s;
}

/** The script name of an index from scriptOf (for messages and tests). */
export function scriptName(index: number): string {
  return NAMES[index] ?? "Unknown";
}
