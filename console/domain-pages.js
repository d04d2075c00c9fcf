// #/domain-groups and #/domains: ThingPark's administrative domains. Everyone who may read them
// sees the groups with their badge colours and each group's domains as a tree; an admin adds,
// edits (description, colour, active) and deletes them. A name is fixed once made.

import { api } from "./api.js";
import { h, notice, put, topField } from "./dom.js";
import { domainBadge, loadCatalog, paint } from "./domains.js";
import { caller } from "./session.js";

let unique = 0;
const defaultColour = "#0b5cad";

/// A labelled input with a slot for its errors (`data-error-for` = the API's field path).
function field(text, input, { path, hint = null, required = false }) {
  input.id = input.id || "g-" + ++unique;
  if (required) input.setAttribute("aria-required", "true");
  return h("div", { class: "field", "data-field": path },
    h("div", { class: "label-line" }, h("label", { for: input.id }, text),
      required ? h("span", { class: "required", title: "mandatory", "aria-hidden": "true" }, "*") : null),
    input,
    hint ? h("p", { class: "hint" }, hint) : null,
    h("p", { class: "error", "data-error-for": path, hidden: true }));
}

/// Puts every error under its field by path; those without a field go to `rest`.
function showErrors(form, rest, errors) {
  for (const slot of form.querySelectorAll("[data-error-for]")) {
    slot.hidden = true;
    slot.textContent = "";
  }
  const left = [];
  for (const e of errors) {
    const slot = form.querySelector(`[data-error-for="${CSS.escape(topField(e.field))}"]`);
    if (!slot) {
      left.push(e);
      continue;
    }
    slot.textContent = slot.textContent ? slot.textContent + " · " + e.message : e.message;
    slot.hidden = false;
  }
  rest.replaceChildren(...left.map((e) => notice(e.field ? e.field + ": " + e.message : e.message, "error")));
}

const errorsOf = (failure) => (failure.errors && failure.errors.length ? failure.errors : [{ field: "", message: failure.message }]);

/// A segment or group name: 1–20 characters, no blank at either end.
function nameProblem(name, what) {
  if (!name) return "is mandatory";
  if ([...name].length > 20) return `must be at most 20 characters (${what})`;
  if (name.trim() !== name) return "must not start or end with a blank";
  return null;
}

async function loadOrSay(main, title) {
  try {
    return await loadCatalog();
  } catch (failure) {
    put(main, h("h1", {}, title), notice(failure.status === 403 ? "Your role does not let you read the domains." :
      "Could not load the domains: " + failure.message, "error"));
    return null;
  }
}

/// #/domain-groups
export async function groupsPage(main, go) {
  const catalog = await loadOrSay(main, "Domain groups");
  if (!catalog) return () => {};
  const admin = caller().admin;
  const messages = h("div", { class: "messages" });
  const rows = catalog.groups.map((g) => {
    const count = catalog.domains.filter((d) => d.group === g.name).length;
    return h("tr", { "data-group": g.name },
      h("td", {}, paint(h("span", { class: "badge" }, g.name), g.color)),
      h("td", {}, g.description || h("span", { class: "muted" }, "none")),
      h("td", { class: "mono small" }, g.color || ""),
      h("td", {}, h("a", { href: "#/domains" }, count === 1 ? "1 domain" : count + " domains")),
      admin ? h("td", { class: "nowrap" },
        h("button", { type: "button", class: "secondary small", onclick: () => edit(g) }, "Edit"), " ",
        h("button", { type: "button", class: "danger small", onclick: async () => {
          if (!confirm(`Delete the domain group “${g.name}”?`)) return;
          try {
            await api.removeGroup(g.name);
            await groupsPage(main, go);
          } catch (failure) {
            messages.replaceChildren(notice("Could not delete “" + g.name + "”: " + failure.message, "error"));
          }
        } }, "Delete")) : null);
  });

  // The admin's form: add a group, or edit one's description and colour.
  const name = h("input", { type: "text", autocomplete: "off", maxlength: 40 });
  const description = h("input", { type: "text", autocomplete: "off" });
  const colour = h("input", { type: "color", value: defaultColour });
  const title = h("h2", {}, "Add domain group");
  const submit = h("button", { type: "submit", class: "primary" }, "Add group");
  const cancel = h("button", { type: "button", class: "secondary", hidden: true, onclick: () => groupsPage(main, go) }, "Cancel");
  const rest = h("div", { class: "form-errors" });
  let editing = null;
  const form = h("form", { class: "card narrow", novalidate: true }, title,
    field("Name", name, { path: "name", required: true, hint: "1–20 characters; fixed once made." }),
    field("Description", description, { path: "description" }),
    field("Badge colour", colour, { path: "color", hint: "The colour of this group's domains in the console." }),
    rest, h("div", { class: "actions" }, submit, cancel));
  function edit(g) {
    editing = g;
    title.textContent = `Edit domain group “${g.name}”`;
    name.value = g.name;
    name.disabled = true;
    description.value = g.description || "";
    colour.value = g.color || defaultColour;
    submit.textContent = "Save group";
    cancel.hidden = false;
    description.focus();
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const problem = editing ? null : nameProblem(name.value, "a group name");
    if (problem) return showErrors(form, rest, [{ field: "name", message: problem }]);
    try {
      if (editing) await api.patchGroup(editing.name, { description: description.value, color: colour.value });
      else await api.createGroup({ name: name.value, description: description.value, color: colour.value });
      await groupsPage(main, go);
    } catch (failure) {
      showErrors(form, rest, errorsOf(failure));
    }
  });

  put(main, h("h1", {}, "Domain groups"),
    h("p", { class: "hint" }, "Groups partition the administrative domains (e.g. Region, Customer); a connection carries at most one domain of each."),
    messages,
    h("table", { class: "list groups" },
      h("thead", {}, h("tr", {}, h("th", {}, "Group"), h("th", {}, "Description"), h("th", {}, "Colour"),
        h("th", {}, "Domains"), admin ? h("th", {}, "") : null)),
      h("tbody", {}, ...(rows.length ? rows : [h("tr", {}, h("td", { colspan: 5, class: "empty" }, "No domain group yet."))]))),
    admin ? form : null);
  return () => {};
}

/// #/domains
export async function domainsPage(main, go) {
  const catalog = await loadOrSay(main, "Domains");
  if (!catalog) return () => {};
  const admin = caller().admin;
  const messages = h("div", { class: "messages" });

  const reload = () => domainsPage(main, go);
  const act = (what, job) => async () => {
    try {
      await job();
      await reload();
    } catch (failure) {
      messages.replaceChildren(notice(what + ": " + failure.message, "error"));
    }
  };

  const sections = catalog.groups.map((g) => {
    const domains = catalog.domains.filter((d) => d.group === g.name);
    return h("section", { class: "card", "data-group": g.name },
      h("h2", {}, paint(h("span", { class: "badge" }, g.name), g.color),
        g.description ? h("span", { class: "muted small" }, " " + g.description) : null),
      domains.length ? h("table", { class: "list tree" },
        h("thead", {}, h("tr", {}, h("th", {}, "Domain"), h("th", {}, "Description"), h("th", {}, "State"),
          admin ? h("th", {}, "") : null)),
        h("tbody", {}, ...domains.map((d) => {
          const depth = d.name.split("/").length - 1;
          const label = `${d.group}: ${d.name}`;
          return h("tr", { "data-domain": d.name, class: d.active === false ? "inactive" : "" },
            h("td", { class: "depth-" + Math.min(depth, 6) }, domainBadge(d, catalog)),
            h("td", {}, d.description || h("span", { class: "muted" }, "")),
            h("td", {}, d.active === false ? h("span", { class: "state off" }, h("span", { class: "dot" }), "Inactive")
              : h("span", { class: "state ok" }, h("span", { class: "dot" }), "Active")),
            admin ? h("td", { class: "nowrap" },
              h("button", { type: "button", class: "secondary small", "aria-label": (d.active === false ? "Activate " : "Deactivate ") + label,
                onclick: act("Could not change " + label, () => api.patchDomain(d, { active: d.active === false })) },
              d.active === false ? "Activate" : "Deactivate"), " ",
              h("button", { type: "button", class: "danger small", "aria-label": "Delete " + label,
                onclick: async () => {
                  if (!confirm(`Delete the domain “${label}”?`)) return;
                  await act("Could not delete " + label, () => api.removeDomain(d))();
                } }, "Delete")) : null);
        }))) : h("p", { class: "muted" }, "No domain in this group yet."));
  });

  const group = h("select", {}, ...catalog.groups.map((g) => h("option", { value: g.name }, g.name)));
  const name = h("input", { type: "text", autocomplete: "off", placeholder: "EMEA/France" });
  const description = h("input", { type: "text", autocomplete: "off" });
  const active = h("input", { type: "checkbox", checked: true, id: "domain-active" });
  const rest = h("div", { class: "form-errors" });
  const form = h("form", { class: "card narrow", novalidate: true }, h("h2", {}, "Add domain"),
    field("Group", group, { path: "group", required: true }),
    field("Name", name, { path: "name", required: true,
      hint: "“/” makes the hierarchy (EMEA/France); the parent must exist; each part 1–20 characters; at most 5 children under one domain; fixed once made." }),
    field("Description", description, { path: "description" }),
    h("div", { class: "field", "data-field": "active" }, h("label", { class: "choice", for: active.id }, active, " Active"),
      h("p", { class: "hint" }, "An inactive domain cannot be given to anything new; existing ones keep it.")),
    rest, h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Add domain")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const segments = name.value.split("/");
    const problem = segments.map((s) => nameProblem(s, "each part")).find(Boolean);
    if (problem) return showErrors(form, rest, [{ field: "name", message: problem }]);
    try {
      await api.createDomain({ group: group.value, name: name.value, description: description.value, active: active.checked });
      await reload();
    } catch (failure) {
      showErrors(form, rest, errorsOf(failure));
    }
  });

  put(main, h("h1", {}, "Domains"),
    h("p", { class: "hint" }, "Connections and users carry domains; a user restricted to a domain sees the connections at or below it."),
    messages,
    ...(sections.length ? sections : [notice(admin ? "Add a domain group first (Domain groups)." : "No domain defined yet.")]),
    admin && catalog.groups.length ? form : null);
  return () => {};
}
