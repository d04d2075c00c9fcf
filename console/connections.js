// The connection list (live health), a connection's page, and the add / edit pages.

import { api } from "./api.js";
import { clock, h, maskHeaderValue, maskUrl, maskUrlsIn, notice, put, when } from "./dom.js";
import { domainBadge, loadCatalog } from "./domains.js";
import { connectionForm } from "./form.js";
import { busyNote, chart, rateText, rates, stateBadge, watch } from "./health.js";
import { caller } from "./session.js";

const contentTypeNames = { XML: "XML", JSON: "JSON", JSON_UNTYPED: "JSON untyped" };
/// A cross-domain connection shown to a restricted user: without url, headers, additional info.
const withheld = (c) => c.url === undefined;
/// Whether the caller may change `c`: not a viewer, and not a connection withheld from it.
const readOnly = (c) => withheld(c) || !caller().writes;

/// The notice a viewer sees on the pages it can only read.
export function viewerNotice() {
  return caller().writes ? null
    : notice("Read-only: your role (viewer) lets you see connections and their health, not change them.", "info");
}

/// A message carried to the next page (e.g. "Connection deleted").
let flash = null;
export function setFlash(node) {
  flash = node;
}
function takeFlash() {
  const node = flash;
  flash = null;
  return node;
}

function domainsCell(domains, catalog) {
  if (!domains || !domains.length) return h("span", { class: "muted" }, "cross-domain");
  return h("span", {}, ...domains.map((d) => domainBadge(d, catalog)));
}

/// The defined domains for badge colours, or null when they cannot be read (badges stay grey).
async function catalogOrNull() {
  try {
    return await loadCatalog();
  } catch {
    return null;
  }
}

/// #/connections
export async function listPage(main) {
  const table = h("tbody");
  put(main,
    h("div", { class: "page-head" },
      h("h1", {}, "Connections"),
      caller().writes ? h("a", { class: "button primary", href: "#/connections/new", role: "button" }, "ADD CONNECTION") : null),
    viewerNotice(),
    takeFlash(),
    h("table", { class: "list" },
      h("thead", {}, h("tr", {},
        h("th", {}, "State"), h("th", {}, "Name"), h("th", {}, "URL"), h("th", {}, "Content Type"),
        h("th", {}, "AS_ID"), h("th", {}, "Domains"),
        h("th", { title: "per second over the last minute" }, "Delivered / shed / failed per s"),
        h("th", {}, "Last minute"))),
      table));
  let connections;
  let catalog;
  try {
    [connections, catalog] = await Promise.all([api.connections().then((a) => a.connections), catalogOrNull()]);
  } catch (failure) {
    main.append(notice("Could not load the connections: " + failure.message, "error"));
    return () => {};
  }
  if (!connections.length) {
    table.append(h("tr", {}, h("td", { colspan: 8, class: "empty" },
      caller().writes ? "No connections yet. ADD CONNECTION creates the first one." : "No connections yet.")));
    return () => {};
  }
  const cells = new Map();
  for (const c of connections) {
    const state = h("td", { class: "state-cell" }, stateBadge(null));
    const figures = h("td", { class: "figures" }, "…");
    const graph = h("td", { class: "graph" });
    cells.set(c.id, { state, figures, graph });
    table.append(h("tr", { "data-id": c.id, class: withheld(c) ? "read-only" : "" },
      state,
      h("td", {}, h("a", { href: "#/connections/" + encodeURIComponent(c.id) }, c.name),
        withheld(c) ? h("span", { class: "tag", title: "cross-domain: shown without its secrets" }, "read-only") : null),
      h("td", { class: "url", title: withheld(c) ? null : maskUrl(c.url) },
        withheld(c) ? h("span", { class: "muted" }, "withheld") : h("span", { class: "clamp" }, maskUrl(c.url))),
      h("td", {}, contentTypeNames[c.contentType] || c.contentType),
      h("td", { class: "mono" }, c.asId),
      h("td", {}, domainsCell(c.domains, catalog)),
      figures, graph));
  }
  // Only the rows on screen are polled: a list of hundreds would otherwise ask the router for
  // every connection's status every few seconds.
  const onScreen = new Set();
  let seen;
  const firstLook = new Promise((resolve) => { seen = resolve; });
  const observer = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      const id = entry.target.getAttribute("data-id");
      if (entry.isIntersecting) onScreen.add(id);
      else onScreen.delete(id);
    }
    seen();
  });
  for (const row of table.querySelectorAll("tr[data-id]")) observer.observe(row);
  await Promise.race([firstLook, new Promise((resolve) => setTimeout(resolve, 500))]);
  const stop = watch(() => connections.filter((c) => onScreen.has(c.id)).map((c) => c.id), (id, status, samples, failure) => {
    const row = cells.get(id);
    if (!status) {
      put(row.state, stateBadge(null));
      put(row.figures, h("span", { class: "muted", title: failure || "" }, failure ? "status unreadable" : "no data"));
      return;
    }
    const busy = busyNote(status);
    put(row.state, stateBadge(status.state), busy ? h("span", { class: "tag busy", title: busy }, "shedding") : null);
    put(row.figures, rateText(rates(status)));
    put(row.graph, chart(samples));
  });
  return () => {
    observer.disconnect();
    stop();
  };
}

/// Shows a new key once with the warning that the AS must get it instead of the old one.
function keyBox(key, fresh) {
  return h("div", { class: "key-box", role: "alert" },
    h("p", {}, h("strong", {}, fresh ? "The connection's key" : "The new key"), " (shown only this once; copy it now):"),
    h("p", { class: "mono key", "data-key": "" }, key),
    h("p", { class: "warning" }, fresh
      ? "Configure this key on the application server: it checks the Token of every uplink with it."
      : "Warning: configure this new key on the application server instead of the old one. " +
        "The old key stopped working now: uplinks are signed with the new key, and downlinks " +
        "signed with the old key are refused."));
}

export async function regenerateKey(connection, where) {
  if (!confirm(`Regenerate the key of “${connection.name}”? The old key stops working at once.`)) return;
  try {
    const answer = await api.regenerate(connection.id);
    where.replaceChildren(keyBox(answer.key, false));
  } catch (failure) {
    where.replaceChildren(notice("Could not regenerate the key: " + failure.message, "error"));
  }
}

function definition(term, ...value) {
  return [h("dt", {}, term), h("dd", {}, ...value)];
}

function statusView(status, failure) {
  if (!status) {
    return [failure ? notice("Could not read the status: " + failure, "error")
      : notice("No health data for this connection.", "info")];
  }
  const busy = busyNote(status);
  const minute = status.lastMinute || {};
  const quarter = status.last15Minutes || {};
  const counts = (m) => `${m.delivered ?? 0} delivered, ${m.shed ?? 0} shed, ${m.failed ?? 0} failed, ` +
    `${m.timeout ?? 0} timed out, ${m.paused ?? 0} paused`;
  const latency = status.latencyMs || {};
  const failures = status.failures || [];
  return [
    h("dl", { class: "facts" },
      definition("State", stateBadge(status.state),
        status.reason && status.reason !== "start" ? h("span", { class: "muted reason" }, " — " + status.reason) : null),
      busy ? definition("Shedding", h("span", { class: "busy" }, busy)) : [],
      definition("Concurrency", `${status.inFlight ?? 0} in flight of a limit of ${status.limit ?? "?"}`),
      definition("Last minute", counts(minute)),
      definition("Last 15 minutes", counts(quarter)),
      definition("Latency", latency.p50 === undefined || latency.p50 === null
        ? h("span", { class: "muted" }, "no answer in the last minute")
        : `p50 ${latency.p50} ms, p99 ${latency.p99} ms`),
      definition("Last delivery", when(status.lastDeliveryAt))),
    h("h3", {}, "Last failures"),
    failures.length
      ? h("table", { class: "list failures" },
          h("thead", {}, h("tr", {}, h("th", {}, "When"), h("th", {}, "Kind"), h("th", {}, "Status"),
            h("th", {}, "Message"), h("th", {}, "Answer"))),
          h("tbody", {}, ...failures.slice().reverse().map((f) => h("tr", {},
            h("td", { class: "nowrap" }, clock(f.at)), h("td", {}, f.kind || ""), h("td", {}, f.status ? String(f.status) : ""),
            h("td", {}, maskUrlsIn(f.message || "")), h("td", { class: "mono small" }, f.body || "")))))
      : h("p", { class: "muted" }, "No failures recorded."),
  ];
}

/// #/connections/{id}
export async function connectionPage(main, id, go) {
  let c;
  let catalog;
  try {
    [c, catalog] = await Promise.all([api.connection(id), catalogOrNull()]);
  } catch (failure) {
    put(main, notice(failure.status === 404 ? "No such connection (or not visible to you)." :
      "Could not load the connection: " + failure.message, "error"), h("a", { href: "#/connections" }, "Back to the connections"));
    return () => {};
  }
  const messages = h("div", { class: "messages" }, takeFlash());
  const health = h("section", { class: "card" }, h("h2", {}, "Status"), h("p", { class: "muted" }, "…"));
  const testOut = h("div", { class: "test-result" });
  let paused = false;
  const pause = h("button", { type: "button", class: "secondary", hidden: true }, "Pause");
  pause.addEventListener("click", async () => {
    try {
      const stored = await api.patch(c.id, { paused: !paused });
      // The label follows the answer at once, not the next status poll (up to 3 s later), so a
      // second click undoes the first rather than sending it again.
      paused = Boolean(stored && stored.paused);
      pause.textContent = paused ? "Resume" : "Pause";
      messages.replaceChildren(notice(paused ? "Paused: nothing is sent until you resume." : "Resumed: uplinks are sent again."));
    } catch (failure) {
      messages.replaceChildren(notice("Could not change the pause: " + failure.message, "error"));
    }
  });
  const actions = readOnly(c) ? null : h("div", { class: "actions" },
    h("a", { class: "button primary", href: "#/connections/" + encodeURIComponent(c.id) + "/edit", role: "button" }, "Edit"),
    pause,
    h("button", { type: "button", class: "secondary", onclick: () => regenerateKey(c, messages) }, "Regenerate key"),
    h("button", { type: "button", class: "danger", onclick: async () => {
      if (!confirm(`Delete the connection “${c.name}”? Devices routed to it stop being routed to it.`)) return;
      try {
        await api.remove(c.id);
        setFlash(notice(`Connection “${c.name}” deleted.`));
        go("#/connections");
      } catch (failure) {
        messages.replaceChildren(notice("Could not delete: " + failure.message, "error"));
      }
    } }, "Delete"));
  const testButton = h("button", { type: "button", class: "secondary" }, "Send test uplink");
  testButton.addEventListener("click", async () => {
    testButton.disabled = true;
    testOut.replaceChildren(h("p", { class: "muted" }, "Sending…"));
    try {
      const r = await api.test(c.id);
      testOut.replaceChildren(h("dl", { class: "facts" },
        definition("Request", h("span", { class: "mono small" }, maskUrlsIn(r.request || ""))),
        definition("Status", r.status ? String(r.status) : "no answer"),
        definition("Latency", r.latencyMs !== undefined ? r.latencyMs + " ms" : "–"),
        definition("Answer", h("span", { class: "mono small" }, r.body || "")),
        r.error ? definition("Error", h("span", { class: "error-text" }, r.error)) : []));
    } catch (failure) {
      testOut.replaceChildren(notice("Test uplink failed: " + failure.message, "error"));
    } finally {
      testButton.disabled = false;
    }
  });

  const headers = c.headers || [];
  put(main,
    h("p", { class: "crumbs" }, h("a", { href: "#/connections" }, "Connections"), " › ", c.name),
    h("div", { class: "page-head" }, h("h1", {}, c.name), actions),
    withheld(c) ? notice("Read-only: this cross-domain connection is shown without its URL, headers and additional information.", "info")
      : viewerNotice(),
    messages,
    h("div", { class: "columns" },
      h("section", { class: "card" }, h("h2", {}, "Connection"),
        h("dl", { class: "facts" },
          definition("URL", withheld(c) ? h("span", { class: "muted" }, "withheld") : h("span", { class: "url" }, maskUrl(c.url))),
          definition("Content Type", contentTypeNames[c.contentType] || c.contentType),
          definition("AS_ID", h("span", { class: "mono" }, c.asId)),
          definition("Domains", domainsCell(c.domains, catalog)),
          withheld(c) ? [] : definition("Custom HTTP headers", headers.length
            ? h("ul", { class: "plain" }, ...headers.map((x) => h("li", { class: "mono small" }, x.name + ": " + maskHeaderValue(x.name, x.value))))
            : h("span", { class: "muted" }, "none")),
          withheld(c) ? [] : definition("Additional information", c.additionalInfo
            ? h("span", { class: "pre" }, c.additionalInfo) : h("span", { class: "muted" }, "none")),
          definition("Created", when(c.createdAt)),
          definition("Updated", when(c.updatedAt)))),
      health),
    readOnly(c) ? null : h("section", { class: "card" }, h("h2", {}, "Test"),
      h("p", { class: "hint" }, "Sends one signed sample DevEUI_uplink with this connection's content type, key and headers."),
      testButton, testOut));

  return watch(() => [c.id], (_, status, samples, failure) => {
    put(health, h("h2", {}, "Status"), ...statusView(status, failure));
    paused = Boolean(status && status.state === "paused");
    pause.hidden = !status;
    pause.textContent = paused ? "Resume" : "Pause";
  });
}

/// The defined domains for the form's picker; null (with a message in `main`) when unreadable.
async function formCatalog(main) {
  try {
    return await loadCatalog();
  } catch (failure) {
    put(main, notice("Could not load the domains: " + failure.message, "error"));
    return null;
  }
}

/// #/connections/new
export async function addPage(main, go) {
  if (!caller().writes) {
    put(main, viewerNotice(), h("a", { href: "#/connections" }, "Back to the connections"));
    return () => {};
  }
  const catalog = await formCatalog(main);
  if (!catalog) return () => {};
  put(main, h("p", { class: "crumbs" }, h("a", { href: "#/connections" }, "Connections"), " › Add"),
    h("h1", {}, "Add connection"));
  connectionForm(main, null, {
    catalog,
    done: (stored, key) => {
      setFlash(h("div", {}, notice(`Connection “${stored.name}” added.`), keyBox(key, true)));
      go("#/connections/" + encodeURIComponent(stored.id));
    },
    cancel: () => go("#/connections"),
  });
  return () => {};
}

/// #/connections/{id}/edit
export async function editPage(main, id, go) {
  let c;
  let catalog;
  try {
    [c, catalog] = await Promise.all([api.connection(id), loadCatalog()]);
  } catch (failure) {
    put(main, notice("Could not load the connection: " + failure.message, "error"));
    return () => {};
  }
  if (readOnly(c)) {
    put(main, notice("This connection is read-only for you.", "error"), h("a", { href: "#/connections/" + encodeURIComponent(c.id) }, "Back to the connection"));
    return () => {};
  }
  const messages = h("div", { class: "messages" });
  put(main, h("p", { class: "crumbs" }, h("a", { href: "#/connections" }, "Connections"), " › ",
    h("a", { href: "#/connections/" + encodeURIComponent(c.id) }, c.name), " › Edit"),
    h("h1", {}, "Edit connection"), messages);
  connectionForm(main, c, {
    catalog,
    done: (stored) => {
      setFlash(notice(`Connection “${stored.name}” saved.`));
      go("#/connections/" + encodeURIComponent(stored.id));
    },
    cancel: () => go("#/connections/" + encodeURIComponent(c.id)),
    regenerate: () => regenerateKey(c, messages),
  });
  return () => {};
}
