import { test } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "../../src/world/rng.js";

test("the same seed gives the same stream and a different seed a different one", () => {
  const a = new Rng("7"), b = new Rng("7"), c = new Rng("8");
  const xs = Array.from({ length: 20 }, () => a.u32());
  assert.deepEqual(Array.from({ length: 20 }, () => b.u32()), xs);
  assert.notDeepEqual(Array.from({ length: 20 }, () => c.u32()), xs);
});

test("a fork does not depend on how much the parent has been used", () => {
  const a = new Rng("s"), b = new Rng("s");
  for (let i = 0; i < 100; i++) b.next();
  assert.equal(a.fork("x").u32(), b.fork("x").u32());
  assert.notEqual(a.fork("x").u32(), a.fork("y").u32());
});

test("int stays in its inclusive range and hits both ends", () => {
  const r = new Rng("r");
  const seen = new Set<number>();
  for (let i = 0; i < 2000; i++) { const x = r.int(3, 7); assert.ok(x >= 3 && x <= 7); seen.add(x); }
  assert.deepEqual([...seen].sort(), [3, 4, 5, 6, 7]);
});
