// The console's entry: sign-in, the navigation, and which page the address (#/...) shows.
// The token stays in sessionStorage (api.js); every page is built from data as text (dom.js).

import { api, setToken, token, whenUnauthorized } from "./api.js";
import { addPage, connectionPage, editPage, listPage } from "./connections.js";
import { devicesPage, usersPage } from "./admin.js";
import { h, notice, put } from "./dom.js";
import { domainsPage, groupsPage } from "./domain-pages.js";
import { instancesPage } from "./instances.js";
import { forgetCaller, learnCaller } from "./session.js";

const main = document.getElementById("main");
const nav = document.getElementById("nav");
let leave = () => {};
let learned = false;  // showNavigation() ran for the current token

function go(hash) {
  if (location.hash === hash) show();
  else location.hash = hash;
}

function signInPage(message) {
  leave();
  leave = () => {};
  nav.hidden = true;
  const input = h("input", { type: "password", id: "access-token", autocomplete: "off", spellcheck: "false", required: true });
  const error = h("p", { class: "error", role: "alert", hidden: !message }, message || "");
  const button = h("button", { type: "submit", class: "primary" }, "Sign in");
  const form = h("form", { class: "card sign-in", novalidate: true },
    h("h1", {}, "Sign in"),
    h("div", { class: "field" }, h("label", { for: input.id }, "Access token"), input,
      h("p", { class: "hint" }, "Your bearer token. It is kept for this browser tab only, until you sign out or close it."),
      error),
    h("div", { class: "actions" }, button));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const value = input.value.trim();
    if (!value) {
      error.textContent = "Enter your access token.";
      error.hidden = false;
      return;
    }
    button.disabled = true;
    setToken(value);
    try {
      await api.connections();
      await showNavigation();
      learned = true;
      go(location.hash && location.hash !== "#/" ? location.hash : "#/connections");
    } catch (failure) {
      setToken("");
      signInPage(failure.status === 401 ? "This access token is not known to the router." : failure.message);
    } finally {
      button.disabled = false;
    }
  });
  put(main, form);
  input.focus();
}

/// Learns who the caller is, then shows the links it may use: Users and Instances for admins.
async function showNavigation() {
  const who = await learnCaller();
  for (const link of nav.querySelectorAll("[data-admin]")) link.hidden = !who.admin;
  const role = document.getElementById("nav-role");
  role.textContent = who.role ? "Role: " + who.role : "";
  role.hidden = !who.role;
}

async function show() {
  leave();
  leave = () => {};
  if (!token()) return signInPage();
  // Each page draws into an area of its own: a page still loading when the operator moves on
  // draws into an area no longer shown, never over the next page.
  const area = document.createElement("div");
  main.replaceChildren(area);
  if (!learned) {
    learned = true;
    try {
      await showNavigation();
    } catch (failure) {
      learned = false;
      if (failure.status === 401) return undefined;  // whenUnauthorized shows the sign-in
      area.append(notice("Could not learn who you are: " + failure.message, "error"));
    }
  }
  nav.hidden = false;
  const path = (location.hash || "#/connections").slice(1).split("/").filter(Boolean).map(decodeURIComponent);
  for (const link of nav.querySelectorAll("a[data-section]"))
    link.classList.toggle("current", link.getAttribute("data-section") === (path[0] || "connections"));
  let page;
  if (path[0] === "connections" && path[1] === "new") page = addPage(area, go);
  else if (path[0] === "connections" && path[1] && path[2] === "edit") page = editPage(area, path[1], go);
  else if (path[0] === "connections" && path[1]) page = connectionPage(area, path[1], go);
  else if (path[0] === "devices") page = devicesPage(area);
  else if (path[0] === "users") page = usersPage(area);
  else if (path[0] === "instances") page = instancesPage(area);
  else if (path[0] === "domain-groups") page = groupsPage(area, go);
  else if (path[0] === "domains") page = domainsPage(area, go);
  else page = listPage(area);
  const hashNow = location.hash;
  const stop = await page;
  if (location.hash !== hashNow) return stop();  // left while loading
  leave = stop;
}

whenUnauthorized(() => {
  setToken("");
  forgetCaller();
  learned = false;
  signInPage("Your session ended: sign in again.");
});
document.getElementById("sign-out").addEventListener("click", () => {
  setToken("");
  forgetCaller();
  learned = false;
  location.hash = "";
  signInPage();
});
window.addEventListener("hashchange", show);
show().catch((failure) => main.append(notice("The console failed: " + failure.message, "error")));
