// GET /: the web console, one self-contained page (inline style and script, nothing fetched
// from elsewhere) that drives the admin API with a pasted bearer token.

#include <string_view>

#include "api/detail/handlers.hpp"

namespace tr::api::detail {

namespace {

constexpr std::string_view page = R"html(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>tunnel-router console</title>
<style>
body { font: 14px sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: left; }
th { background: #f3f3f3; }
input, select { margin: 2px 8px 2px 0; }
#message { white-space: pre-wrap; padding: 6px; }
.error { background: #fde8e8; }
.secret { background: #e8f6e8; font-family: monospace; }
.muted { color: #888; }
</style>
</head>
<body>
<h1>tunnel-router</h1>
<p>
  <label>Bearer token <input id="token" type="password" size="70" autocomplete="off"></label>
  <button id="load">Load connections</button>
</p>
<div id="message"></div>
<h2>Connections</h2>
<table>
  <thead><tr><th>Name</th><th>URL</th><th>Content type</th><th>AS_ID</th><th>Domains</th>
  <th></th></tr></thead>
  <tbody id="rows"></tbody>
</table>
<h2>New connection</h2>
<form id="create">
  <input name="name" placeholder="name" required>
  <input name="url" placeholder="https://as.example.com/uplink" size="40" required>
  <select name="contentType">
    <option>JSON</option><option>JSON_UNTYPED</option><option>XML</option>
  </select>
  <input name="asId" placeholder="AS_ID" required>
  <input name="domains" placeholder="domains, comma separated" size="30">
  <button>Create</button>
</form>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
$("token").value = sessionStorage.getItem("token") || "";

function show(text, kind) {
  const box = $("message");
  box.textContent = text;
  box.className = kind || "";
}

async function api(method, path, body) {
  const token = $("token").value.trim();
  sessionStorage.setItem("token", token);
  const init = { method, headers: { "Authorization": "Bearer " + token } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const data = response.status === 204 ? null : await response.json();
  if (!response.ok) {
    const lines = data && data.errors
      ? data.errors.map((e) => e.field + ": " + e.message)
      : [(data && data.error) || response.statusText];
    throw new Error(response.status + "\n" + lines.join("\n"));
  }
  return data;
}

function cell(row, text, muted) {
  const td = row.insertCell();
  td.textContent = text;
  if (muted) td.className = "muted";
  return td;
}

function button(td, label, action) {
  const b = document.createElement("button");
  b.textContent = label;
  b.onclick = action;
  td.appendChild(b);
}

async function load() {
  try {
    const data = await api("GET", "/api/v1/connections");
    const rows = $("rows");
    rows.replaceChildren();
    for (const c of data.connections) {
      const row = rows.insertRow();
      const readOnly = c.url === undefined;
      cell(row, c.name);
      cell(row, readOnly ? "(withheld: read-only)" : c.url, readOnly);
      cell(row, c.contentType);
      cell(row, c.asId);
      cell(row, c.domains.length ? c.domains.join(", ") : "(cross-domain)", !c.domains.length);
      const actions = cell(row, "");
      if (readOnly) continue;
      button(actions, "New key", () => regenerate(c));
      button(actions, "Delete", () => remove(c));
    }
    if (!data.connections.length) show("No connections yet.");
  } catch (e) {
    show(e.message, "error");
  }
}

async function regenerate(c) {
  if (!confirm("Replace the key of " + c.name + "? The old key stops working at once.")) return;
  try {
    const data = await api("POST", "/api/v1/connections/" + c.id + "/key");
    show("New key of " + c.name + " (shown once): " + data.key, "secret");
  } catch (e) {
    show(e.message, "error");
  }
}

async function remove(c) {
  if (!confirm("Delete " + c.name + "?")) return;
  try {
    await api("DELETE", "/api/v1/connections/" + c.id);
    show("Deleted " + c.name + ".");
    await load();
  } catch (e) {
    show(e.message, "error");
  }
}

$("load").onclick = () => { show(""); load(); };
$("create").onsubmit = async (event) => {
  event.preventDefault();
  const f = event.target.elements;
  const body = {
    name: f.name.value, url: f.url.value, contentType: f.contentType.value, asId: f.asId.value,
    domains: f.domains.value.split(",").map((d) => d.trim()).filter((d) => d),
  };
  try {
    const made = await api("POST", "/api/v1/connections", body);
    event.target.reset();
    await load();
    show("Created " + made.name + " (" + made.id + "). Its key (shown once): " + made.key,
         "secret");
  } catch (e) {
    show(e.message, "error");
  }
};
</script>
</body>
</html>
)html";

}  // namespace

api_answer web_console() {
  api_answer out;
  out.content_type = "text/html; charset=utf-8";
  out.body = std::string{page};
  out.headers.emplace_back("Content-Security-Policy",
                           "default-src 'none'; style-src 'unsafe-inline'; "
                           "script-src 'unsafe-inline'; connect-src 'self'");
  out.headers.emplace_back("Cache-Control", "no-store");
  return out;
}

}  // namespace tr::api::detail
