// File-system errors that say what failed (issue 10 item 7): Node's own messages drop the path on
// fd-based writes ("ENOSPC: no space left on device, write") and report a read-only file system as
// "ENOENT … mkdir" under recursive mkdir. These helpers name the operation and the path, and find
// the real cause of a failed mkdir by probing the nearest existing ancestor.
import fs from "node:fs";
import path from "node:path";

const REASONS: Record<string, string> = {
  EROFS: "read-only file system",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOSPC: "no space left on device",
  EDQUOT: "disk quota exceeded",
  ENOENT: "no such file or directory",
  ENOTDIR: "a parent is not a directory",
  EISDIR: "is a directory",
  EEXIST: "already exists",
  EMFILE: "too many open files",
  ENAMETOOLONG: "name too long",
  EIO: "input/output error",
};

/** What to do about a system error, by code (appended to the message after "; "), or "" when there is nothing useful to say. */
export function fsHint(code: string | undefined, file: string): string {
  switch (code) {
    case "EROFS": return `choose an output on a writable file system, or remount ${path.dirname(file)} read-write`;
    case "EACCES": case "EPERM": {
      const uid = typeof process.getuid === "function" ? ` (uid ${process.getuid()})` : "";
      return `this user${uid} may not write there: fix the permissions of ${nearestExisting(file) ?? file}, or choose another output`;
    }
    case "ENOSPC": case "EDQUOT": return `free space on the file system of ${path.dirname(file)}, or write elsewhere`;
    default: return "";
  }
}

const withHint = (msg: string, code: string | undefined, file: string): string => {
  const h = fsHint(code, file);
  return h ? `${msg}; ${h}` : msg;
};

/** An operation on a path failed; `code` is the errno name (EROFS, ENOSPC, …). */
export class FsOpError extends Error {
  /** The system error code, the operation that failed and the path it failed on. */
  constructor(message: string, readonly code: string | undefined, readonly operation: string, readonly path: string) {
    super(message);
    this.name = "FsOpError";
  }
}

function errnoCode(e: unknown): string | undefined {
  const c = (e as NodeJS.ErrnoException | null)?.code;
  return typeof c === "string" ? c : undefined;
}

/** "cannot OPERATION PATH: REASON (CODE)" for a Node system error; other errors keep their message. */
export function describeFsError(e: unknown, operation: string, file: string): string {
  if (e instanceof FsOpError) return e.message;
  const code = errnoCode(e);
  if (!code) return `cannot ${operation} ${file}: ${(e as Error)?.message ?? String(e)}`;
  return withHint(`cannot ${operation} ${file}: ${REASONS[code] ?? (e as Error).message} (${code})`, code, file);
}

/** Wraps a system error from `fn` into an FsOpError naming `operation` and `file`. */
export function withFsContext<T>(operation: string, file: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw toFsOpError(e, operation, file);
  }
}

/** The FsOpError for `e` (unchanged when it already is one, or is not a system error). */
export function toFsOpError(e: unknown, operation: string, file: string): unknown {
  if (e instanceof FsOpError || !errnoCode(e)) return e;
  return new FsOpError(describeFsError(e, operation, file), errnoCode(e), operation, file);
}

/**
 * mkdir -p that reports the real cause: a read-only or unwritable ancestor is named as such
 * (EROFS/EACCES), not as the ENOENT recursive mkdir sometimes reports.
 */
export function mkdirpOrExplain(dir: string, what = "create the directory"): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    const code = errnoCode(e);
    if (code === "ENOENT" || code === "EROFS" || code === "EACCES" || code === "EPERM") {
      const anc = nearestExisting(dir);
      if (anc !== null) {
        try {
          fs.accessSync(anc, fs.constants.W_OK);
        } catch (ae) {
          const ac = errnoCode(ae);
          if (ac) throw new FsOpError(withHint(`cannot ${what} ${dir}: ${anc} is on a ${ac === "EROFS" ? "read-only file system" : "path this user cannot write"} (${ac})`, ac, path.join(anc, "x")),
            ac, what, dir);
        }
      }
    }
    throw toFsOpError(e, what, dir);
  }
}

function nearestExisting(p: string): string | null {
  let cur = path.resolve(p);
  for (;;) {
    if (fs.existsSync(cur)) return cur;
    const up = path.dirname(cur);
    if (up === cur) return null;
    cur = up;
  }
}

/** Node system errors not yet given context (a code and a syscall): "cannot SYSCALL PATH: REASON (CODE)". */
export function describeSystemError(e: unknown): string | null {
  const err = e as (NodeJS.ErrnoException & { dest?: string }) | null;
  if (!err || e instanceof FsOpError || typeof err.code !== "string" || typeof err.syscall !== "string") return null;
  const target = err.path ? ` ${err.path}${err.dest ? ` -> ${err.dest}` : ""}` : "";
  const msg = `cannot ${err.syscall}${target}: ${REASONS[err.code] ?? err.message} (${err.code})`;
  return err.path ? withHint(msg, err.code, err.dest ?? err.path) : msg;
}
