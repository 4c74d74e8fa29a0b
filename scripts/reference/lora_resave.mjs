// Loads a PEFT adapter directory with llama2-ts and writes it back with llama2-ts's adapter writer
// (used by make_lora_fixture.py for the PEFT round trip).  node lora_resave.mjs ADAPTER BASE OUT
import { Llama } from "../../dist/src/model/llama.js";

const [adapter, base, out] = process.argv.slice(2);
const model = await Llama.load(adapter, { base });
await model.save(out);
