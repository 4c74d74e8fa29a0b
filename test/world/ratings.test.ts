import { test } from "node:test";
import assert from "node:assert/strict";
import { MARGINS, ratingForGap, ratingForMargin, safetyLabel } from "../../src/world/ratings.js";

test("a score gap maps to the four rating levels at 0.5, 0.25 and 0.1", () => {
  assert.equal(ratingForGap(1), "significantly_better");
  assert.equal(ratingForGap(0.5), "significantly_better");
  assert.equal(ratingForGap(0.49), "better");
  assert.equal(ratingForGap(0.25), "better");
  assert.equal(ratingForGap(0.2), "slightly_better");
  assert.equal(ratingForGap(0.1), "slightly_better");
  assert.equal(ratingForGap(0.05), "negligibly_better");
  assert.equal(ratingForGap(0), "negligibly_better");
});

test("safety labels follow the paper and exclude a chosen unsafe response over a safe one", () => {
  assert.equal(safetyLabel(true, true), "both_safe");
  assert.equal(safetyLabel(true, false), "only_chosen_safe");
  assert.equal(safetyLabel(false, false), "both_unsafe");
  assert.equal(safetyLabel(false, true), null);
});

test("Table 27 margins round-trip through ratingForMargin", () => {
  for (const [rating, m] of Object.entries(MARGINS.small)) assert.equal(ratingForMargin(m), rating);
});
