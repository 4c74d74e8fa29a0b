// Model snapshots for rollout workers, named by content: a snapshot is the HF model directory's files
// (weights, config, tokenizer; an adapter directory's base under base/), listed with size and sha256; its
// hash is the sha256 of that list. Workers fetch one from a shared directory or the coordinator's HTTP
// server into a cache keyed by hash, checking every byte against the list, and refuse anything else.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { Readable, Transform } from "node:stream";
import { adapterBase } from "../../model/peft.js";

/** One file of a snapshot (name relative to its root, "/"-separated). */
export interface SnapshotFile { name: string; size: number; sha256: string }

/** A snapshot's content: its files and the sha256 of their canonical list. */
export interface SnapshotManifest { hash: string; files: SnapshotFile[] }

/** A manifest and where to fetch it: a directory (shared disk) or an http(s) URL prefix ending in "/". */
export interface SnapshotRef extends SnapshotManifest { source: string }

/** A snapshot that cannot be used: missing, or not what the job names. Retrying elsewhere does not help. */
export class SnapshotError extends Error {}

/** The files of a model directory that make the model (what transformers' from_pretrained reads). */
const MODEL_FILE = /^(config\.json|generation_config\.json|model(-\d{5}-of-\d{5})?\.safetensors|model\.safetensors\.index\.json|tokenizer\.json|tokenizer_config\.json|tokenizer\.model|special_tokens_map\.json|adapter_config\.json|adapter_model\.safetensors)$/;

/** The sha256 of a manifest's canonical file list (sorted by name). */
export function manifestHash(files: readonly SnapshotFile[]): string {
  const list = [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((f) => [f.name, f.size, f.sha256]);
  return crypto.createHash("sha256").update(JSON.stringify(list)).digest("hex");
}

/** Files of model directory `dir` as (snapshot name, absolute path); an adapter directory brings its base as base/. */
export function modelFiles(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const add = (d: string, prefix: string): void => {
    if (!fs.existsSync(d)) throw new Error(`${d}: model directory not found`);
    for (const name of fs.readdirSync(d).sort()) if (MODEL_FILE.test(name) && fs.statSync(path.join(d, name)).isFile()) out.set(prefix + name, path.join(d, name));
  };
  add(dir, "");
  if (!out.has("config.json") && !out.has("adapter_config.json")) throw new Error(`${dir}: no config.json (not a model directory)`);
  if (out.has("adapter_config.json")) {
    const a = JSON.parse(fs.readFileSync(path.join(dir, "adapter_config.json"), "utf8")) as { base_model_name_or_path?: string };
    if (!a.base_model_name_or_path) throw new Error(`${dir}/adapter_config.json: field "base_model_name_or_path" is required to snapshot an adapter`);
    const base = adapterBase(dir, a.base_model_name_or_path);
    if (base.missing) throw new Error(base.missing);
    add(base.dir, "base/");
  }
  return out;
}

/** sha256 (hex) and size of a file, streamed. */
export async function hashFile(file: string): Promise<{ sha256: string; size: number }> {
  const h = crypto.createHash("sha256");
  let size = 0;
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) { h.update(chunk as Buffer); size += (chunk as Buffer).length; }
  return { sha256: h.digest("hex"), size };
}

const memo = new Map<string, SnapshotFile>();

/** The manifest of a set of files (sha256 memoised by path, size and mtime: an unchanged RM is hashed once). */
export async function describeFiles(files: ReadonlyMap<string, string>): Promise<SnapshotManifest> {
  const list: SnapshotFile[] = [];
  for (const [name, abs] of files) {
    const st = fs.statSync(abs);
    const key = `${abs}\0${st.size}\0${st.mtimeMs}`;
    let f = memo.get(key);
    if (!f) { const h = await hashFile(abs); f = { name, size: h.size, sha256: h.sha256 }; memo.set(key, f); }
    list.push({ ...f, name });
  }
  list.sort((a, b) => (a.name < b.name ? -1 : 1));
  return { hash: manifestHash(list), files: list };
}

/** Counts and hashes bytes on their way through, and stops at more than `limit`. */
function hashing(limit: number, what: string): { t: Transform; digest: () => { sha256: string; size: number } } {
  const h = crypto.createHash("sha256");
  let size = 0;
  const t = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      size += chunk.length;
      if (size > limit) { cb(new SnapshotError(`${what}: longer than the ${limit} bytes the job names`)); return; }
      h.update(chunk);
      cb(null, chunk);
    },
  });
  return { t, digest: () => ({ sha256: h.digest("hex"), size }) };
}

/** Opens one file of a snapshot at its source. Missing → SnapshotError; a network failure stays a plain (retryable) error. */
async function openSource(ref: SnapshotRef, f: SnapshotFile): Promise<Readable> {
  if (/^https?:\/\//.test(ref.source)) {
    const url = ref.source + f.name.split("/").map(encodeURIComponent).join("/");
    const res = await fetch(url);
    if (res.status === 404) throw new SnapshotError(`snapshot ${ref.hash}: ${url} not found (the coordinator does not serve this snapshot)`);
    if (!res.ok || !res.body) throw new Error(`snapshot ${ref.hash}: GET ${url}: HTTP ${res.status}`);
    return Readable.fromWeb(res.body as import("node:stream/web").ReadableStream<Uint8Array>);
  }
  const file = path.join(ref.source, ...f.name.split("/"));
  if (!fs.existsSync(file)) throw new SnapshotError(`snapshot ${ref.hash}: ${file} not found (missing from the shared snapshot directory)`);
  return fs.createReadStream(file, { highWaterMark: 1 << 20 });
}

/**
 * The local directory of snapshot `ref` under `cacheDir` (cacheDir/HASH), fetched first when absent. The
 * file list must hash to ref.hash and every file must match its size and sha256, or nothing is cached and
 * a SnapshotError says which file differs. Returns the directory and the seconds spent fetching (0 when cached).
 */
export async function fetchSnapshot(ref: SnapshotRef, cacheDir: string): Promise<{ dir: string; seconds: number; bytes: number }> {
  if (!/^[0-9a-f]{64}$/.test(ref.hash)) throw new SnapshotError(`snapshot hash "${ref.hash}" is not a sha256`);
  const listed = manifestHash(ref.files);
  if (listed !== ref.hash) throw new SnapshotError(`snapshot ${ref.hash}: its file list hashes to ${listed}; refusing a snapshot that is not what it is named`);
  for (const f of ref.files) if (f.name.split("/").some((p) => p === ".." || p === "" || p === ".")) throw new SnapshotError(`snapshot ${ref.hash}: bad file name "${f.name}"`);
  const dir = path.join(cacheDir, ref.hash);
  if (fs.existsSync(dir)) return { dir, seconds: 0, bytes: 0 };
  const t0 = performance.now();
  fs.mkdirSync(cacheDir, { recursive: true });
  const tmp = path.join(cacheDir, `.${ref.hash}.partial-${process.pid}-${crypto.randomBytes(4).toString("hex")}`);
  let bytes = 0;
  try {
    for (const f of ref.files) {
      const dst = path.join(tmp, ...f.name.split("/"));
      fs.mkdirSync(path.dirname(dst), { recursive: true });
      const hs = hashing(f.size, `snapshot ${ref.hash}: ${f.name}`);
      await pipeline(await openSource(ref, f), hs.t, fs.createWriteStream(dst));
      const got = hs.digest();
      if (got.size !== f.size || got.sha256 !== f.sha256)
        throw new SnapshotError(`snapshot ${ref.hash}: ${f.name} has ${got.size} bytes with sha256 ${got.sha256}; the job names ${f.size} bytes with sha256 ${f.sha256} (hash mismatch: the files changed after the snapshot was published)`);
      bytes += got.size;
    }
    try { fs.renameSync(tmp, dir); } catch (e) { if (!fs.existsSync(dir)) throw e; } // another process cached it first
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return { dir, seconds: (performance.now() - t0) / 1000, bytes };
}
