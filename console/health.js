// Live health of connections (GET /api/v1/connections/{id}/status): the fuse state in plain
// words with a coloured dot, and delivered / shed / failed per second over the last minute with
// a small hand-written SVG chart of the recent samples.

import { api } from "./api.js";
import { h, s } from "./dom.js";

export const refreshMilliseconds = 3000;
const samplesKept = 20;  // about a minute at one sample every 3 s

const states = {
  closed: { word: "Healthy", tone: "ok", hint: "fuse closed: uplinks are delivered" },
  throttling: { word: "Throttled", tone: "warn", hint: "the AS is slow: fewer uplinks at once" },
  open: { word: "Blacklisted", tone: "bad", hint: "fuse open: the AS is down, uplinks are shed" },
  paused: { word: "Paused", tone: "off", hint: "paused by an operator: nothing is sent" },
};

/// The dot and word of a status `state`, or "Unknown" without one.
export function stateBadge(state) {
  const known = states[state];
  const word = known ? known.word : "Unknown";
  return h("span", { class: "state " + (known ? known.tone : "none"), title: known ? known.hint : "no health data" },
    h("span", { class: "dot", "aria-hidden": "true" }), word);
}

/// Why a connection whose fuse is closed sheds: null when it does not. The fuse sheds nothing
/// while closed, so these uplinks found every session to the AS busy.
export function busyNote(status) {
  const shed = Number(status && status.state === "closed" && status.lastMinute && status.lastMinute.shed) || 0;
  if (shed === 0) return null;
  return `${shed} uplinks shed in the last minute while the AS answered well: every session to it was busy ` +
    "(an AS that speaks only HTTP/1.1 takes as.http1_connections at a time per shard)";
}

/// Per-second rates over the last minute of a status answer.
export function rates(status) {
  const minute = (status && status.lastMinute) || {};
  const perSecond = (n) => (Number(n) || 0) / 60;
  return {
    delivered: perSecond(minute.delivered),
    shed: perSecond(minute.shed) + perSecond(minute.paused),
    failed: perSecond(minute.failed) + perSecond(minute.timeout),
  };
}

const format = (rate) => (rate >= 10 ? rate.toFixed(0) : rate >= 1 ? rate.toFixed(1) : rate.toFixed(2));

/// "12.0 / 0.00 / 0.50" with a label per figure.
export function rateText(r) {
  return h("span", { class: "rates" },
    h("span", { class: "delivered", title: "delivered per second" }, format(r.delivered)), " / ",
    h("span", { class: "shed", title: "shed per second" }, format(r.shed)), " / ",
    h("span", { class: "failed", title: "failed per second (errors and timeouts)" }, format(r.failed)));
}

/// A sparkline of the three series over the kept samples.
export function chart(samples, width = 120, height = 28) {
  const top = Math.max(0.01, ...samples.flatMap((r) => [r.delivered, r.shed, r.failed]));
  // The newest sample at the right edge; older ones to its left, one step each.
  const step = width / (samplesKept - 1);
  const x = (i) => width - (samples.length - 1 - i) * step;
  const y = (v) => height - 1 - (v / top) * (height - 2);
  const line = (key) => samples.map((r, i) => `${x(i).toFixed(1)},${y(r[key]).toFixed(1)}`).join(" ");
  return s("svg", { class: "chart", width, height, viewBox: `0 0 ${width} ${height}`, role: "img",
      "aria-label": "delivered, shed and failed per second, last minute" },
    s("line", { x1: 0, y1: height - 0.5, x2: width, y2: height - 0.5, class: "axis" }),
    ...["delivered", "shed", "failed"].map((key) =>
      s("polyline", { points: line(key), class: "series " + key, fill: "none" })));
}

/// Polls the status of a set of connections every few seconds and calls `update(id, status,
/// samples, failure)` after each answer (status null and `failure` the error's message when it
/// could not be read). Returns stop().
/// Samples per connection id, kept across pages so the chart survives a visit elsewhere.
const history = new Map();

export function watch(ids, update) {
  let timer = null;
  let stopped = false;
  const round = async () => {
    const watched = ids();
    for (const id of history.keys()) if (!watched.includes(id) && history.size > 200) history.delete(id);
    await Promise.all(watched.map(async (id) => {
      let status = null;
      let failure = null;
      try {
        status = await api.status(id);
      } catch (error) {
        failure = error.status === 404 ? "no such connection any more" : error.message;
      }
      if (stopped) return;
      const samples = history.get(id) || [];
      if (status) {
        samples.push(rates(status));
        if (samples.length > samplesKept) samples.shift();
      }
      history.set(id, samples);
      update(id, status, samples, failure);
    }));
    if (!stopped) timer = setTimeout(round, refreshMilliseconds);
  };
  round();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
