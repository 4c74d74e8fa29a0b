// What travels through the rollout queue (BullMQ job data and return values, JSON): the job names its
// snapshots by hash and source, its rows (prompt, safety flag, seed) and sampling settings, and the
// coordinator's build (llama2-ts version, SIMD kernel path) that the worker must match. Job ids are the
// hash of everything that decides the result, so a resubmitted job is the same job (BullMQ keeps one).
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { RolloutRow, RolloutSampling } from "../rollout-job.js";
import type { SnapshotRef } from "./snapshot.js";

/** The BullMQ queue every coordinator and worker on one Redis database uses. */
export const ROLLOUT_QUEUE = "llama2-rollouts";

/** The numbers a build produces depend on its code and its kernels: both must match between coordinator and worker. */
export interface BuildId { version: string; simd: string }

/** A job: the snapshots it needs, the rows and how to sample them, and who may run it. */
export interface RolloutJobData {
  /** Protocol version of this format. */
  protocol: 1;
  coordinator: BuildId;
  policy: SnapshotRef;
  reward_helpful: SnapshotRef | null;
  reward_safety: SnapshotRef | null;
  sampling: RolloutSampling;
  /** Index of the job's first row in its batch (for logs). */
  first_row: number;
  rows: RolloutRow[];
}

/** One answer as a worker returns it. */
export interface RolloutResultRow {
  prompt_ids: number[];
  ids: number[];
  logprobs: number[];
  text: string;
  finished: boolean;
  reward: number;
  reward_helpful: number | null;
  reward_safety: number | null;
}

/** A job's return value. */
export interface RolloutJobResult {
  job: string;
  worker: { id: string } & BuildId;
  rows: RolloutResultRow[];
  /** Seconds spent fetching snapshots, loading models, generating and scoring. */
  seconds: { fetch: number; load: number; rollout: number };
}

/** This build: package.json's version and the kernel path the addon dispatches to. */
export async function buildId(): Promise<BuildId> {
  const { native } = await import("../../native/addon.js");
  return { version: packageVersion(), simd: native.simdLevel() };
}

let version: string | null = null;
/** llama2-ts's version (package.json beside dist/). */
export function packageVersion(): string {
  if (version === null) {
    const pkg = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../../package.json");
    version = (JSON.parse(fs.readFileSync(pkg, "utf8")) as { version: string }).version;
  }
  return version;
}

/** The job id: sha256 of what decides the result (snapshot hashes, rows, sampling, build), not of where the snapshots are. */
export function jobId(d: RolloutJobData): string {
  const key = JSON.stringify([d.protocol, d.coordinator, d.policy.hash, d.reward_helpful?.hash ?? null, d.reward_safety?.hash ?? null, d.sampling, d.rows]);
  return crypto.createHash("sha256").update(key).digest("hex");
}

/** Connection options of `redis://[user:password@]HOST[:PORT][/DB]` (rediss:// for TLS); errors name the problem. */
export function parseRedisUrl(url: string): { host: string; port: number; db: number; username?: string; password?: string; tls?: object } {
  let u: URL;
  try { u = new URL(url); } catch { throw new Error(`queue URL "${url}": expected redis://HOST:PORT[/DB]`); }
  if (u.protocol !== "redis:" && u.protocol !== "rediss:") throw new Error(`queue URL "${url}": expected redis://HOST:PORT[/DB] (scheme ${u.protocol} is not redis:)`);
  if (!u.hostname) throw new Error(`queue URL "${url}": no host`);
  const port = u.port ? Number(u.port) : 6379;
  const dbText = u.pathname.replace(/^\//, "");
  if (dbText !== "" && !/^\d+$/.test(dbText)) throw new Error(`queue URL "${url}": the path must be a database number (/0 ... /15), got "/${dbText}"`);
  return {
    host: u.hostname.replace(/^\[|\]$/g, ""), port, db: dbText === "" ? 0 : Number(dbText),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}), ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.protocol === "rediss:" ? { tls: {} } : {}),
  };
}
