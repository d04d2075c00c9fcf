// What the console's browser tests share: the real router started as a user would, on loopback
// with free ports and a temp store; a real Chromium (Debian's) driven by playwright-core; the
// admin API called directly to check what the browser did; screenshots under the build folder.

import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const binary = process.env.TR_BINARY;
const modules = process.env.TR_CONSOLE_MODULES;  // the folder npm installed playwright-core into
export const screenshotDir = process.env.TR_SCREENSHOTS || join(tmpdir(), "console-screenshots");
const chromiumPath = process.env.TR_CHROMIUM || "/usr/bin/chromium";

if (!binary) throw new Error("TR_BINARY must name the tunnel-router binary");
if (!modules) throw new Error("TR_CONSOLE_MODULES must name the folder holding node_modules");
const { chromium } = createRequire(join(modules, "package.json"))("playwright-core");

/// The router process: `serve --config FILE` with every listener on 127.0.0.1 port 0.
export class Router {
  /// `allowHttp`: as.allow_http, so connections may point at plain-HTTP test servers.
  /// `cluster`: `{storeUrl, token, dataKey}` for a replica on a shared PostgreSQL store.
  static async start({ allowHttp = true, extraIni = "", cluster = null } = {}) {
    const dir = mkdtempSync(join(tmpdir(), "tr-console-"));
    mkdirSync(join(dir, "data"));
    const store = cluster ? "url = " + cluster.storeUrl + "\n" : "path = " + join(dir, "data", "router.db") + "\n";
    const ini = "[store]\n" + store +
      "[ingress]\nlisten = 127.0.0.1:0\n[public]\nlisten = 127.0.0.1:0\n" +
      "[admin]\nlisten = 127.0.0.1:0\n" + (cluster ? "token = " + cluster.token + "\n" : "") +
      "[runtime]\nshards = 1\n[as]\nallow_http = " + allowHttp + "\n" + extraIni;
    writeFileSync(join(dir, "router.ini"), ini);
    const env = cluster ? { ...process.env, TUNNEL_ROUTER_DATA_KEY: cluster.dataKey } : process.env;
    const child = spawn(binary, ["serve", "--config", join(dir, "router.ini")], { stdio: ["ignore", "pipe", "pipe"], env });
    // The router never outlives the test process, whatever happens to it.
    process.on("exit", () => child.kill("SIGKILL"));
    let output = "";
    child.stdout.on("data", (d) => { output += d; });
    child.stderr.on("data", (d) => { output += d; });
    const ports = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("router did not start:\n" + output)), 20000);
      const look = () => {
        const m = /tunnel-router listening: ingress [^:]+:(\d+), public [^:]+:(\d+), admin [^:]+:(\d+)/.exec(output);
        if (m) {
          clearTimeout(timer);
          resolve({ ingress: Number(m[1]), public: Number(m[2]), admin: Number(m[3]) });
        }
      };
      child.stdout.on("data", look);
      child.on("exit", (code) => reject(new Error(`router exited with ${code}:\n${output}`)));
    });
    const router = new Router();
    Object.assign(router, { dir, child, ports, output: () => output });
    router.token = cluster ? cluster.token : readFileSync(join(dir, "data", "admin.token"), "utf8").trim();
    router.url = `http://127.0.0.1:${ports.admin}/`;
    return router;
  }

  /// An admin API call; resolves to {status, body} (body parsed when JSON).
  async api(method, path, body, token = this.token) {
    const init = { method, headers: { Authorization: "Bearer " + token } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(`http://127.0.0.1:${this.ports.admin}${path}`, init);
    const text = await response.text();
    let parsed = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch { /* not JSON */ }
    return { status: response.status, body: parsed, headers: response.headers };
  }

  /// Sends one uplink report through the ingress (HTTP/1.1).
  async report(devEui, query = "") {
    const body = { DevEUI_uplink: { Time: new Date().toISOString(), DevEUI: devEui, FPort: 1,
      FCntUp: 1, payload_hex: "00" } };
    const response = await fetch(`http://127.0.0.1:${this.ports.ingress}/v1/reports${query}`, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    return response.status;
  }

  async stop() {
    if (this.child.exitCode === null) {
      const exited = new Promise((resolve) => this.child.on("exit", resolve));
      this.child.kill("SIGTERM");
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/// Defines domain groups and their domains through the admin API:
/// `{Region: {color: "#aa3300", domains: ["EMEA", "EMEA/France"]}}` (parents before children).
export async function defineDomains(router, groups) {
  for (const [name, { color, description = "", domains = [] }] of Object.entries(groups)) {
    const made = await router.api("POST", "/api/v1/domain-groups", { name, description, color });
    if (made.status !== 201) throw new Error(`group ${name}: ${made.status} ${JSON.stringify(made.body)}`);
    for (const domain of domains) {
      const one = await router.api("POST", "/api/v1/domains", { group: name, name: domain });
      if (one.status !== 201) throw new Error(`domain ${name}:${domain}: ${one.status} ${JSON.stringify(one.body)}`);
    }
  }
}

/// A fresh empty schema on the test PostgreSQL (the ctest fixture `postgres`), as a store URL
/// whose search path is that schema; `drop()` removes it.
export function postgresSchema() {
  const state = process.env.TR_POSTGRES_STATE;
  if (!state) throw new Error("TR_POSTGRES_STATE must name the test PostgreSQL's state folder");
  const server = readFileSync(join(state, "url"), "utf8").trim();
  const name = "tr_console_" + randomBytes(6).toString("hex");
  const psql = (sql) => execFileSync("psql", [server, "-v", "ON_ERROR_STOP=1", "-qc", sql], { stdio: "pipe" });
  psql("CREATE SCHEMA " + name);
  return {
    url: server + (server.includes("?") ? "&" : "?") + "options=-csearch_path%3D" + name,
    drop: () => psql("DROP SCHEMA IF EXISTS " + name + " CASCADE"),
  };
}

/// A loopback port with nothing listening on it (bound, then closed): a dead AS.
export async function deadPort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/// Debian's Chromium, headless, without its background traffic (this machine has no network).
export async function launchBrowser() {
  // playwright-core gives the browser a fresh temporary profile and removes it on close.
  return chromium.launch({
    executablePath: chromiumPath,
    args: ["--no-sandbox", "--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

/// A page of a fresh browser context that records console errors and CSP violations.
export async function openPage(browser) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  page.problems = [];
  page.on("console", (message) => {
    // Script errors and policy refusals; an HTTP error status is the page's to show, not one.
    if (message.type() === "error" && !message.text().startsWith("Failed to load resource"))
      page.problems.push(message.text());
  });
  page.on("pageerror", (error) => page.problems.push(error.message));
  return page;
}

/// Signs in with `token` through the sign-in form.
export async function signIn(page, router, token = router.token) {
  await page.goto(router.url);
  await page.getByLabel("Access token", { exact: true }).fill(token);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByRole("heading", { name: "Connections", exact: true }).waitFor();
}

/// The error text shown under the field labelled `label` ("" when none shows).
export async function fieldError(page, label) {
  const slot = page.locator(".field", { has: page.getByLabel(label, { exact: true }) }).locator("p.error").first();
  return (await slot.isVisible()) ? (await slot.textContent()) : "";
}

/// Saves a full-page screenshot as SCREENSHOTS/name.png.
export async function screenshot(page, name) {
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: join(screenshotDir, name + ".png"), fullPage: true });
}
