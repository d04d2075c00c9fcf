// Device routes (one DevEUI, or an NDJSON file of them) and users.

import { api } from "./api.js";
import { h, notice, put, topField, when } from "./dom.js";
import { domainBadge, domainPicker, loadCatalog } from "./domains.js";
import { field } from "./form.js";
import { caller } from "./session.js";

const importBatchLines = 1000;

function labelled(text, input, hint) {
  input.id = input.id || "d-" + Math.random().toString(36).slice(2);
  return h("div", { class: "field" }, h("label", { for: input.id }, text), input,
    hint ? h("p", { class: "hint" }, hint) : null);
}

/// #/devices
export async function devicesPage(main) {
  let connections = [];
  try {
    connections = (await api.connections()).connections;
  } catch (failure) {
    put(main, notice("Could not load the connections: " + failure.message, "error"));
    return () => {};
  }
  const writes = caller().writes;
  const writable = connections.filter((c) => c.url !== undefined);

  // Route one device.
  const devEui = h("input", { type: "text", class: "mono", autocomplete: "off", spellcheck: "false",
    maxlength: 16, placeholder: "0011223344556677" });
  const choices = h("div", { class: "choices" }, ...(writable.length ? writable.map((c) => {
    const box = h("input", { type: "checkbox", value: c.id, id: "route-" + c.id });
    return h("label", { class: "choice", for: box.id }, box, " ", c.name);
  }) : [h("p", { class: "muted" }, "No connection you may route devices to.")]));
  const routeOut = h("div", { class: "messages" });
  const checked = () => [...choices.querySelectorAll("input:checked")].map((b) => b.value);
  const nameOf = (id) => (connections.find((c) => c.id === id) || { name: id }).name;
  const routeForm = h("form", { class: "card", novalidate: true },
    h("h2", {}, writes ? "Route one device" : "Look up a device"),
    labelled("DevEUI", devEui, "16 hexadecimal digits."),
    writes ? h("fieldset", { class: "field" }, h("legend", {}, "Connections"), choices) : null,
    h("div", { class: "actions" },
      writes ? h("button", { type: "submit", class: "primary" }, "Save route") : null,
      h("button", { type: "button", class: "secondary", onclick: async () => {
        try {
          const route = await api.device(devEui.value.trim());
          for (const box of choices.querySelectorAll("input")) box.checked = route.connections.includes(box.value);
          routeOut.replaceChildren(notice(`${route.devEUI} is routed to ${route.connections.map(nameOf).join(", ") || "nothing"}.`));
        } catch (failure) {
          routeOut.replaceChildren(notice(failure.status === 404 ? "No route for this DevEUI." : failure.message, "error"));
        }
      } }, "Look up"),
      writes && h("button", { type: "button", class: "danger", onclick: async () => {
        if (!confirm(`Remove the route of ${devEui.value.trim()}?`)) return;
        try {
          await api.unroute(devEui.value.trim());
          routeOut.replaceChildren(notice("Route removed."));
        } catch (failure) {
          routeOut.replaceChildren(notice(failure.message, "error"));
        }
      } }, "Remove route")),
    routeOut);
  routeForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!writes) return;
    try {
      const route = await api.route(devEui.value.trim(), checked());
      routeOut.replaceChildren(notice(`${route.devEUI || devEui.value.trim()} routed to ${checked().map(nameOf).join(", ") || "nothing"}.`));
    } catch (failure) {
      routeOut.replaceChildren(...(failure.errors.length
        ? failure.errors.map((e) => notice(e.field + ": " + e.message, "error"))
        : [notice(failure.message, "error")]));
    }
  });

  // Import a file.
  const file = h("input", { type: "file", accept: ".ndjson,.jsonl,.json,.txt,application/x-ndjson" });
  const progress = h("progress", { max: 1, value: 0, hidden: true });
  const importOut = h("div", { class: "messages" });
  const importForm = h("form", { class: "card", novalidate: true },
    h("h2", {}, "Import routes"),
    labelled("Routes file (NDJSON)", file, 'One route a line: {"devEUI": "0011223344556677", "connections": ["<id>"]}.'),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Import"), progress),
    importOut);
  importForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!file.files.length) return importOut.replaceChildren(notice("Choose a file first.", "error"));
    const lines = (await file.files[0].text()).split("\n");
    progress.hidden = false;
    progress.max = lines.length;
    let imported = 0;
    let rejectedCount = 0;  // every rejected line; the answers list the first 100 of a batch
    const rejected = [];
    for (let start = 0; start < lines.length; start += importBatchLines) {
      const batch = lines.slice(start, start + importBatchLines);
      try {
        const answer = await api.importRoutes(batch.join("\n"));
        imported += answer.imported || 0;
        for (const r of answer.rejected || []) rejected.push({ line: r.line + start, error: r.error });
        rejectedCount += answer.rejectedCount ?? (answer.rejected || []).length;
      } catch (failure) {
        rejected.push({ line: start + 1, error: `lines ${start + 1}–${start + batch.length}: ${failure.message}` });
        rejectedCount += batch.length;
      }
      progress.value = Math.min(lines.length, start + batch.length);
      importOut.replaceChildren(notice(`${imported} routes imported, ${rejectedCount} lines rejected so far…`));
    }
    const listed = rejected.length < rejectedCount ? ` (the first of each batch listed below)` : "";
    importOut.replaceChildren(notice(`${imported} routes imported, ${rejectedCount} lines rejected${listed}.`,
      rejectedCount ? "error" : "info"),
    rejected.length ? h("table", { class: "list" }, h("thead", {}, h("tr", {}, h("th", {}, "Line"), h("th", {}, "Error"))),
      h("tbody", {}, ...rejected.map((r) => h("tr", {}, h("td", {}, String(r.line)), h("td", {}, r.error))))) : "");
  });

  put(main, h("h1", {}, "Device routes"),
    h("p", { class: "hint" }, "An uplink goes to every connection its DevEUI is routed to."),
    writes ? null : notice("Read-only: your role (viewer) lets you look routes up, not change them.", "info"),
    h("div", { class: "columns" }, routeForm, writes ? importForm : null));
  return () => {};
}

const roleHints = {
  admin: "Everything: users, domains, every connection. Never restricted to domains.",
  "connections-manager": "Reads and writes connections and device routes within its domains.",
  viewer: "Reads connections and their health within its domains; changes nothing.",
};

/// #/users (admins only: the API answers 403 to others)
export async function usersPage(main) {
  let users;
  let catalog;
  try {
    [users, catalog] = await Promise.all([api.users().then((a) => a.users), loadCatalog()]);
  } catch (failure) {
    put(main, h("h1", {}, "Users"), notice(failure.status === 403 ? "Only an admin manages users." : failure.message, "error"));
    return () => {};
  }
  const name = h("input", { type: "text", autocomplete: "off" });
  const role = h("select", {}, ...Object.keys(roleHints).map((r) => h("option", { value: r }, r)));
  role.value = "connections-manager";
  const domains = domainPicker({ catalog });
  const out = h("div", { class: "messages" });
  const form = h("form", { class: "card narrow", novalidate: true }, h("h2", {}, "Add user"),
    field("Name", name, { path: "name", required: true }),
    field("Role", role, { path: "role", required: true, hint: " " }),
    field("Domains", domains.control, { path: "domains", below: domains.chips, hint: " " }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Add user")), out);
  const roleHint = form.querySelector("#" + role.id + "-hint");
  const domainsHint = form.querySelector("#" + domains.control.id + "-hint");
  const showRole = () => {
    roleHint.textContent = roleHints[role.value];
    const admin = role.value === "admin";
    if (admin) domains.set([]);
    domains.enable(!admin);
    domainsHint.textContent = admin ? "An admin is never restricted." :
      "Restrictions: the user sees only connections of these domains or below them (and cross-domain ones, read-only). None: every connection.";
  };
  role.addEventListener("change", showRole);
  showRole();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    for (const slot of form.querySelectorAll("[data-error-for]")) slot.hidden = true;
    const body = { name: name.value, role: role.value, domains: domains.value() };
    try {
      const made = await api.createUser(body);
      await usersPage(main);
      main.querySelector("h1").after(h("div", { class: "key-box", role: "alert" },
        h("p", {}, `Access token of “${made.name}” (shown only this once; copy it now):`),
        h("p", { class: "mono key" }, made.token)));
    } catch (failure) {
      // Each error under its field (domains[1].name under Domains), the rest below the form.
      const rest = [];
      for (const e of failure.errors) {
        const slot = form.querySelector(`[data-error-for="${CSS.escape(topField(e.field))}"]`);
        if (!slot) rest.push(e);
        else {
          slot.textContent = (slot.hidden ? "" : slot.textContent + " · ") + (e.field.includes("[") ? e.field + ": " : "") + e.message;
          slot.hidden = false;
        }
      }
      out.replaceChildren(...(failure.errors.length ? rest.map((e) => notice(e.field + ": " + e.message, "error"))
        : [notice(failure.message, "error")]));
    }
  });
  const me = caller().id;
  put(main, h("h1", {}, "Users"),
    h("table", { class: "list users" },
      h("thead", {}, h("tr", {}, h("th", {}, "Name"), h("th", {}, "Role"), h("th", {}, "Restrictions"),
        h("th", {}, "Created"), h("th", {}, ""))),
      h("tbody", {}, ...users.map((u) => h("tr", { "data-user": u.id },
        h("td", {}, u.name, u.id === me ? h("span", { class: "tag" }, "you") : null),
        h("td", {}, u.role),
        h("td", {}, u.domains && u.domains.length ? u.domains.map((d) => domainBadge(d, catalog)) : h("span", { class: "muted" }, "none")),
        h("td", { class: "nowrap" }, when(u.createdAt)),
        h("td", {}, u.id === me ? null : h("button", { type: "button", class: "danger small",
          "aria-label": "Delete " + u.name, onclick: async () => {
            if (!confirm(`Delete the user “${u.name}”? Its token stops working at once.`)) return;
            try {
              await api.removeUser(u.id);
              await usersPage(main);
            } catch (failure) {
              main.append(notice(failure.message, "error"));
            }
          } }, "Delete")))))),
    form);
  return () => {};
}
