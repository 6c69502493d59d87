'use strict';
/** Small helpers every benchmark uses: environment knobs, a clock, medians. (Not a benchmark: no bench* export.) */

/** A positive whole number from an environment knob, or the fallback. */
function positiveInt(value, fallback) {
  const n = Number.parseInt(value ?? '', 10);
  return Number.isFinite(n) && n > 0 ? n : fallback;
}

/** Milliseconds from a monotonic clock. */
function nowMs() {
  return Number(process.hrtime.bigint()) / 1e6;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function round(n, digits = 1) {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

module.exports = { positiveInt, nowMs, median, round };
