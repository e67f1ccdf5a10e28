// How the bench's comparison tells a real difference between two builds from the noise of one.
import test from "ava";
import { comparisonTable } from "../../bench/compare.js";
import { difference, spread } from "../../bench/noise.js";

test("noise - a build's rounds give their median and range", (t) => {
  t.deepEqual(spread([30, 10, 20]), { median: 20, min: 10, max: 30 });
  t.deepEqual(spread([40, 10, 20, 30]), { median: 25, min: 10, max: 40 });
});

test("noise - builds whose ranges overlap differ within the noise, whatever their medians", (t) => {
  const d = difference([1800, 1900, 2200], [1850, 1880, 1950]);
  t.true(d.withinNoise);
  t.is(Math.round(d.change * 1000) / 1000, -0.011);
});

test("noise - builds whose ranges are apart differ outside the noise, in the direction of the change", (t) => {
  const d = difference([1800, 1850, 1900], [2000, 2100, 2050]);
  t.false(d.withinNoise);
  t.true(d.change > 0.1);
});

test("noise - builds with the same figure, zero included, differ by nothing", (t) => {
  t.is(difference([0, 0], [0]).change, 0);
  t.is(difference([500], [500]).change, 0);
});

test("noise - the comparison table gives each figure's medians, ranges, change and verdict", (t) => {
  const table = comparisonTable("0123456789abcdef", 3, {
    base: { "ingest: events/s, 64 connections": [1800, 1850, 1900] },
    head: { "ingest: events/s, 64 connections": [2000, 2100, 2050] },
  });
  t.regex(table, /^base: 0123456789ab; head: this checkout; 3 rounds/);
  t.regex(
    table,
    /\| ingest: events\/s, 64 connections \| 1850 \(1800 to 1900\) \| 2050 \(2000 to 2100\) \| \+10\.8% \| outside the noise \|/,
  );
});
