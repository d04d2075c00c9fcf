// The connection form, in ThingPark's words: ADD a new connection or SAVE an existing one.
// Errors are shown under their field, every one at once, as the person types (rules.js) and as
// the router answers (its paths: `url`, `headers[1].name`, ...). Nothing is sent while a rule
// fails, and the router stores nothing when it finds a failure itself.

import { api } from "./api.js";
import { h, maskUrl, topField } from "./dom.js";
import { domainPicker } from "./domains.js";
import { generateKey, maxHeaders, validate } from "./rules.js";
import { caller } from "./session.js";

let unique = 0;

export function field(labelText, input, { required = false, hint = null, extra = null, below = null, path }) {
  input.id = input.id || "f-" + ++unique;
  const error = h("p", { class: "error", id: input.id + "-error", "data-error-for": path, hidden: true });
  input.setAttribute("aria-describedby", [hint && input.id + "-hint", error.id].filter(Boolean).join(" "));
  if (required) input.setAttribute("aria-required", "true");
  return h("div", { class: "field", "data-field": path },
    h("div", { class: "label-line" },
      h("label", { for: input.id }, labelText),
      required ? h("span", { class: "required", title: "mandatory", "aria-hidden": "true" }, "*") : null),
    h("div", { class: "control" }, input, extra),
    below,
    hint ? h("p", { class: "hint", id: input.id + "-hint" }, hint) : null,
    error);
}

/// Renders the form into `root`. `existing` is the connection to edit (null: a new one);
/// `catalog` the defined domains (domains.js). `done(connection, key)` runs after the router
/// stored it.
export function connectionForm(root, existing, { catalog, done, cancel, regenerate }) {
  const editing = Boolean(existing);
  const maskedUrl = editing ? maskUrl(existing.url) : "";
  const restricted = caller().restricted;
  const name = h("input", { type: "text", name: "name", autocomplete: "off", maxlength: 400 });
  const domains = domainPicker({ catalog, selected: editing ? existing.domains || [] : [], onePerGroup: true,
    allowed: restricted ? caller().domains : null, changed: (event) => changed(event) });
  const url = h("input", { type: "url", name: "url", autocomplete: "off", spellcheck: "false",
    placeholder: "https://as.example.com/uplink" });
  const contentType = h("select", { name: "contentType" },
    h("option", { value: "XML" }, "XML"),
    h("option", { value: "JSON" }, "JSON"),
    h("option", { value: "JSON_UNTYPED" }, "JSON untyped"));
  const key = h("input", { type: "text", name: "key", class: "mono", autocomplete: "off",
    spellcheck: "false", maxlength: 32, size: 34 });
  const keyButton = editing
    ? h("button", { type: "button", class: "secondary", onclick: () => regenerate && regenerate() }, "Regenerate key")
    : h("button", { type: "button", class: "secondary", onclick: () => { key.value = generateKey(); changed(); } }, "Generate");
  const additional = h("textarea", { name: "additionalInfo", rows: 3 });
  const asId = h("input", { type: "text", name: "asId", autocomplete: "off", spellcheck: "false",
    placeholder: "TWA_100002167.1111.AS" });
  const rows = h("div", { class: "header-rows" });
  const addHeader = h("button", { type: "button", class: "secondary" }, "Add header");
  const headersError = h("p", { class: "error", "data-error-for": "headers", hidden: true });
  const formErrors = h("div", { class: "form-errors", role: "alert", hidden: true });
  const submit = h("button", { type: "submit", class: "primary" }, editing ? "SAVE" : "ADD");

  function headerRow(header = { name: "", value: "" }) {
    const nameInput = h("input", { type: "text", class: "header-name", autocomplete: "off", spellcheck: "false" });
    const valueInput = h("input", { type: "text", class: "header-value", autocomplete: "off", spellcheck: "false" });
    nameInput.value = header.name;
    valueInput.value = header.value;
    nameInput.id = "f-" + ++unique;
    valueInput.id = "f-" + ++unique;
    const row = h("div", { class: "header-row" },
      h("div", { class: "cell" }, h("label", { for: nameInput.id }, "Header name"), nameInput,
        h("p", { class: "error", "data-error-slot": "name", hidden: true })),
      h("div", { class: "cell" }, h("label", { for: valueInput.id }, "Header value"), valueInput,
        h("p", { class: "error", "data-error-slot": "value", hidden: true })),
      h("button", { type: "button", class: "remove", title: "Remove this header",
        "aria-label": "Remove header", onclick: () => { row.remove(); renumber(); changed(); } }, "✕"),
      h("p", { class: "error row-error", "data-error-slot": "row", hidden: true }));
    rows.append(row);
    renumber();
    return row;
  }
  function renumber() {
    [...rows.children].forEach((row, i) => {
      for (const slot of row.querySelectorAll("[data-error-slot]")) {
        const part = slot.getAttribute("data-error-slot");
        slot.setAttribute("data-error-for", part === "row" ? `headers[${i}]` : `headers[${i}].${part}`);
      }
    });
    addHeader.disabled = rows.children.length >= maxHeaders;
    addHeader.title = addHeader.disabled ? `at most ${maxHeaders} custom headers` : "";
  }
  addHeader.addEventListener("click", () => {
    if (rows.children.length < maxHeaders) headerRow().querySelector("input").focus();
    changed();
  });

  if (editing) {
    name.value = existing.name;
    url.value = maskedUrl;
    contentType.value = existing.contentType;
    asId.value = existing.asId;
    additional.value = existing.additionalInfo || "";
    (existing.headers || []).forEach((one) => headerRow(one));
    key.value = "";
    key.disabled = true;
    key.placeholder = "hidden: a key is shown only once";
  } else {
    contentType.value = "JSON";
    key.value = generateKey();
  }
  renumber();

  /// The URL typed; while it still starts with the stored one's masked `user:•••@`, the stored
  /// password stands there (the rest may change).
  function typedUrl() {
    const typed = url.value.trim();
    if (!editing || maskedUrl === existing.url) return typed;
    const masked = maskedUrl.slice(0, maskedUrl.indexOf("@") + 1);
    const stored = existing.url.slice(0, existing.url.indexOf("@") + 1);
    return typed.startsWith(masked) ? stored + typed.slice(masked.length) : typed;
  }

  /// The form as the API takes it.
  function collect() {
    const form = {
      name: name.value,
      domains: domains.value(),
      url: typedUrl(),
      contentType: contentType.value,
      asId: asId.value.trim(),
      headers: [...rows.children].map((row) => ({
        name: row.querySelector(".header-name").value.trim(),
        value: row.querySelector(".header-value").value,
      })),
      additionalInfo: additional.value,
    };
    if (!editing) form.key = key.value.trim();
    return form;
  }

  // An edit sends what changed from the form as it was opened (PATCH): a field the form does not
  // show (maxTimeDeviation), a pause and a colleague's change of another field meanwhile all stay.
  const opened = editing ? collect() : null;
  function changes(value) {
    const changed = {};
    for (const [field, now] of Object.entries(value))
      if (JSON.stringify(now) !== JSON.stringify(opened[field])) changed[field] = now;
    return changed;
  }

  const form = h("form", { class: "connection-form", novalidate: true },
    field("Name", name, { required: true, path: "name" }),
    field("Domains", domains.control, { path: "domains", required: restricted, below: domains.chips,
      hint: restricted ? "At least one of your domains (or one below them); at most one per group."
        : "At most one per group. None: the connection is cross-domain (every user sees it, restricted users read-only)." }),
    field("URL", url, { required: true, path: "url",
      hint: editing && maskedUrl !== existing.url ? "The password stays as stored while the URL starts with the user and •••; type a whole new URL to change it." : "Where uplinks are POSTed (https)." }),
    field("Content Type", contentType, { required: true, path: "contentType" }),
    field("Tunnel Interface Authentication Key", key, { required: !editing, path: "key", extra: keyButton,
      hint: editing ? "Regenerating gives a new key at once; the old one stops working." : "Signs every uplink; give it to the application server." }),
    h("fieldset", { class: "field headers", "data-field": "headers" },
      h("legend", {}, "Custom HTTP headers"),
      h("p", { class: "hint" }, `Sent with every uplink; at most ${maxHeaders}.`),
      rows, addHeader, headersError),
    field("Additional information", additional, { path: "additionalInfo" }),
    field("AS_ID", asId, { required: true, path: "asId",
      hint: "The application server's identifier, sent in every uplink and required in every downlink." }),
    formErrors,
    h("div", { class: "actions" }, submit,
      h("button", { type: "button", class: "secondary", onclick: () => cancel() }, "Cancel")));

  let submitted = false;
  const touched = new Set();

  /// "Region: EMEA/France: is inactive" for an error on `domains[i]` or `domains[i].name`.
  function domainText(error) {
    const index = Number(/^domains\[(\d+)\]/.exec(error.field)[1]);
    const ref = domains.value()[index];
    return (ref ? `${ref.group}: ${ref.name}` : error.field) + ": " + error.message;
  }

  function slotsFor(path) {
    const exact = form.querySelector(`[data-error-for="${CSS.escape(path)}"]`);
    if (exact) return exact;
    const domain = /^domains\[\d+\]/.test(path);
    if (domain) return form.querySelector('[data-error-for="domains"]');
    return null;
  }

  function show(errors, all) {
    for (const slot of form.querySelectorAll("[data-error-for]")) {
      slot.hidden = true;
      slot.textContent = "";
    }
    for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
    const leftOver = [];
    for (const error of errors) {
      const top = topField(error.field);
      if (!all && !touched.has(top)) continue;
      const slot = slotsFor(error.field);
      if (!slot) {
        leftOver.push(error);
        continue;
      }
      const text = error.field.startsWith("domains[") ? domainText(error) : error.message;
      slot.textContent = slot.textContent ? slot.textContent + " · " + text : text;
      slot.hidden = false;
      const input = slot.parentElement.querySelector("input, select, textarea");
      if (input) input.setAttribute("aria-invalid", "true");
    }
    formErrors.replaceChildren(...leftOver.map((e) =>
      h("p", { class: "error" }, e.field === "form" ? e.message : e.field + ": " + e.message)));
    formErrors.hidden = leftOver.length === 0;
  }

  // The router's errors of the last ADD/SAVE, kept under their fields until those change (the
  // browser's rules do not know every one: an AS_ID taken, a domain deactivated meanwhile).
  let routerErrors = [];
  function changed(event) {
    if (event && event.target) {
      const holder = event.target.closest("[data-field]");
      if (holder) {
        const field = holder.getAttribute("data-field");
        touched.add(field);
        routerErrors = routerErrors.filter((e) => topField(e.field) !== field);
      }
    }
    const own = validate(collect(), { restricted });
    show(own.concat(routerErrors.filter((e) => !own.some((o) => o.field === e.field))), submitted);
  }
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submitted = true;
    const value = collect();
    const problems = validate(value, { restricted });
    show(problems, true);
    if (problems.length) {
      form.querySelector("[aria-invalid]")?.focus();
      return;
    }
    submit.disabled = true;
    try {
      const stored = editing ? await api.patch(existing.id, changes(value)) : await api.create(value);
      done(stored, editing ? null : stored.key);
    } catch (failure) {
      routerErrors = failure.errors && failure.errors.length ? failure.errors
        : failure.status === 409 && /asId/i.test(failure.message) ? [{ field: "asId", message: failure.message }]
          : [{ field: "form", message: failure.message }];
      show(routerErrors, true);
    } finally {
      submit.disabled = false;
    }
  });

  root.append(form);
  name.focus();
  return form;
}
