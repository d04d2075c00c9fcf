// ThingPark's administrative domains in the console: the catalogue of domain groups and domains
// (GET /api/v1/domain-groups, /api/v1/domains), a domain's badge in its group's colour, and the
// Domains picker of the connection and user forms, which offers only defined, active domains.

import { api } from "./api.js";
import { h } from "./dom.js";

const hexColour = /^#[0-9A-Fa-f]{6}$/;

/// The list inside an answer (`{"domainGroups": [...]}`, `{"groups": [...]}`, a bare array, ...).
function listOf(answer, ...keys) {
  if (Array.isArray(answer)) return answer;
  for (const key of keys) if (answer && Array.isArray(answer[key])) return answer[key];
  return [];
}

/// Every group and domain the caller may read: `{groups, domains, colour(group)}`.
export async function loadCatalog() {
  const [groups, domains] = await Promise.all([api.groups(), api.domains()]);
  return makeCatalog(listOf(groups, "domainGroups", "groups"), listOf(domains, "domains"));
}

export function makeCatalog(groups, domains) {
  const byName = new Map(groups.map((g) => [g.name, g]));
  const sorted = domains.slice().sort((a, b) =>
    a.group === b.group ? a.name.localeCompare(b.name) : a.group.localeCompare(b.group));
  return {
    groups: groups.slice().sort((a, b) => a.name.localeCompare(b.name)),
    domains: sorted,
    colour: (group) => (byName.get(group) && hexColour.test(byName.get(group).color) ? byName.get(group).color : null),
    find: (ref) => sorted.find((d) => d.group === ref.group && d.name === ref.name),
  };
}

/// Black or white, whichever reads better on `colour`.
function inkFor(colour) {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(colour.slice(i, i + 2), 16) / 255);
  const luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  return luminance > 0.55 ? "#1d2733" : "#ffffff";
}

/// Paints `element` in a group's badge colour (CSSOM, allowed by the page's CSP).
export function paint(element, colour) {
  if (!colour || !hexColour.test(colour)) return element;
  element.style.backgroundColor = colour;
  element.style.color = inkFor(colour);
  return element;
}

/// A domain reference `{group, name}` as a badge in its group's colour.
export function domainBadge(ref, catalog) {
  const known = catalog ? catalog.find(ref) : null;
  const badge = h("span", { class: "badge domain", title: "group " + ref.group + (known && !known.active ? " (inactive)" : "") },
    h("span", { class: "group" }, ref.group + ":"), " ", ref.name);
  return paint(badge, catalog ? catalog.colour(ref.group) : null);
}

/// Whether `ref` is one of `own` or lies below one of them (same group, whole segments).
export function within(ref, own) {
  return own.some((o) => o.group === ref.group && (ref.name === o.name || ref.name.startsWith(o.name + "/")));
}

const keyOf = (ref) => JSON.stringify([ref.group, ref.name]);

/// The Domains picker: a select of the defined, active domains by group (and, for a restricted
/// caller, at or below its own), the chosen ones as removable badges below it.
/// `onePerGroup`: picking a domain of a group already chosen replaces that one (a connection
/// carries at most one domain per group). `changed(event)` runs after every change.
export function domainPicker({ catalog, selected = [], onePerGroup = false, allowed = null, changed = () => {} }) {
  let chosen = selected.map((d) => ({ group: d.group, name: d.name }));
  const select = h("select", { class: "domain-add" });
  const chips = h("ul", { class: "chips", "aria-label": "Chosen domains" });

  function offered(domain) {
    return domain.active !== false && !chosen.some((c) => keyOf(c) === keyOf(domain)) &&
      (!allowed || !allowed.length || within(domain, allowed));
  }

  function refill() {
    const groups = catalog.groups.map((g) => {
      const options = catalog.domains.filter((d) => d.group === g.name && offered(d))
        .map((d) => h("option", { value: keyOf(d) }, d.name));
      return options.length ? h("optgroup", { label: g.name }, ...options) : null;
    }).filter(Boolean);
    const prompt = groups.length ? (chosen.length ? "Add another domain…" : "Choose a domain…")
      : catalog.domains.length ? "No other domain to add" : "No domain defined yet";
    select.replaceChildren(h("option", { value: "" }, prompt), ...groups);
    select.value = "";
  }

  function render() {
    chips.replaceChildren(...chosen.map((ref) => {
      const known = catalog.find(ref);
      return h("li", { class: "chip" }, domainBadge(ref, catalog),
        known && known.active === false ? h("span", { class: "tag" }, "inactive") : null,
        // A restricted caller reads only the domains at or below its own: one it cannot read may
        // well exist.
        known ? null : h("span", { class: "tag" }, allowed ? "outside your domains" : "not defined"),
        h("button", { type: "button", class: "remove", "aria-label": `Remove domain ${ref.group}: ${ref.name}`,
          title: "Remove", onclick: (event) => {
            chosen = chosen.filter((c) => keyOf(c) !== keyOf(ref));
            refill();
            render();
            changed(event);
          } }, "✕"));
    }));
    chips.hidden = chosen.length === 0;
  }

  select.addEventListener("change", () => {
    if (!select.value) return;
    const [group, name] = JSON.parse(select.value);
    if (onePerGroup) chosen = chosen.filter((c) => c.group !== group);
    chosen.push({ group, name });
    refill();
    render();
  });
  refill();
  render();
  return {
    control: select,
    chips,
    value: () => chosen.map((c) => ({ group: c.group, name: c.name })),
    set: (refs) => {
      chosen = refs.map((d) => ({ group: d.group, name: d.name }));
      refill();
      render();
    },
    enable: (on) => {
      select.disabled = !on;
      for (const button of chips.querySelectorAll("button")) button.disabled = !on;
    },
  };
}
