// #/instances: the router instances (admins only). In cluster mode the live replicas sharing the
// PostgreSQL store, refreshed every few seconds: heartbeat age, the change generation each one
// applied and how far it is behind the newest. A single node shows itself.

import { api } from "./api.js";
import { h, notice, put, when } from "./dom.js";
import { refreshMilliseconds } from "./health.js";

/// "4 s ago", "3 min ago" from an ISO time (the browser's clock against the router's).
function age(iso, now) {
  const at = new Date(iso).getTime();
  if (!iso || Number.isNaN(at)) return "";
  const seconds = Math.max(0, Math.round((now - at) / 1000));
  if (seconds < 90) return seconds + " s ago";
  if (seconds < 90 * 60) return Math.round(seconds / 60) + " min ago";
  return Math.round(seconds / 3600) + " h ago";
}

function liveBadge(text) {
  return h("span", { class: "state ok" }, h("span", { class: "dot", "aria-hidden": "true" }), text);
}

function clusterRows(instances) {
  const newest = Math.max(0, ...instances.map((i) => Number(i.generation) || 0));
  const now = Date.now();
  return instances.map((i) => {
    const behind = newest - (Number(i.generation) || 0);
    return h("tr", { "data-instance": i.id },
      h("td", {}, liveBadge("Live")),
      h("td", {}, i.host),
      h("td", { class: "mono small" }, i.id),
      h("td", {}, i.version),
      h("td", { class: "nowrap" }, when(i.startedAt)),
      h("td", { class: "nowrap" }, age(i.heartbeatAt, now)),
      h("td", { class: "nowrap" }, String(i.generation),
        behind > 0 ? h("span", { class: "tag" }, behind + " behind") : null));
  });
}

export async function instancesPage(main) {
  const summary = h("p", { class: "hint" });
  const body = h("tbody");
  const head = h("thead");
  const table = h("table", { class: "list instances" }, head, body);
  const problems = h("div", { class: "messages" });
  put(main, h("h1", {}, "Instances"), summary, problems, table);
  let timer = null;
  let stopped = false;
  let cluster = null;

  async function round() {
    let answer;
    try {
      answer = await api.instances();
      problems.replaceChildren();
    } catch (failure) {
      if (stopped) return;
      problems.replaceChildren(notice(failure.status === 403 ? "Only an admin sees the instances." :
        "Could not read the instances: " + failure.message, "error"));
      if (failure.status !== 403) timer = setTimeout(round, refreshMilliseconds);
      return;
    }
    if (stopped) return;
    const instances = answer.instances || [];
    if (cluster !== Boolean(answer.cluster)) {
      cluster = Boolean(answer.cluster);
      put(head, h("tr", {}, ...(cluster
        ? ["State", "Host", "Id", "Version", "Started", "Last heartbeat", "Generation applied"]
        : ["State", "Host", "Version", "Started"]).map((t) => h("th", {}, t))));
    }
    if (cluster) {
      summary.textContent = `Cluster mode: ${instances.length} live ${instances.length === 1 ? "replica shares" : "replicas share"} ` +
        "the PostgreSQL store. Each one heartbeats every 2 s; one silent for 6 s leaves this list.";
      put(body, ...clusterRows(instances));
    } else {
      summary.textContent = "Single node: this router keeps its own store (SQLite) and is the only instance.";
      put(body, ...instances.map((i) => h("tr", { "data-instance": "self" },
        h("td", {}, liveBadge("Running")), h("td", {}, i.host), h("td", {}, i.version),
        h("td", { class: "nowrap" }, when(i.startedAt)))));
    }
    timer = setTimeout(round, refreshMilliseconds);
  }
  await round();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
