// The rest of the admin surface: routing one device, importing a file of routes with per-line
// errors, and users (added by an admin, its token shown once).

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Router, defineDomains, launchBrowser, openPage, screenshot, signIn } from "./support.mjs";

describe("device routes and users", () => {
  let router, browser, page, first, second;
  before(async () => {
    router = await Router.start();
    await defineDomains(router, { Region: { color: "#8e24aa", domains: ["EMEA", "EMEA/France"] } });
    const make = async (name) => (await router.api("POST", "/api/v1/connections", {
      name, url: "https://" + name.toLowerCase() + ".example.com/up", contentType: "XML", asId: name + ".AS" })).body;
    first = await make("First");
    second = await make("Second");
    browser = await launchBrowser();
    page = await openPage(browser);
    await signIn(page, router);
  });
  after(async () => {
    await browser?.close();
    await router?.stop();
  });

  test("one DevEUI routed to two connections reads back through the API", async () => {
    await page.getByRole("link", { name: "Device routes", exact: true }).click();
    await page.getByLabel("DevEUI", { exact: true }).fill("0011223344556677");
    await page.getByLabel("First", { exact: true }).check();
    await page.getByLabel("Second", { exact: true }).check();
    await page.getByRole("button", { name: "Save route", exact: true }).click();
    await page.getByText(/routed to (First, Second|Second, First)\.$/).waitFor();
    const route = (await router.api("GET", "/api/v1/devices/0011223344556677")).body;
    assert.deepEqual(route.connections.sort(), [first.id, second.id].sort());
  });

  test("an imported file routes its good lines and lists the bad ones by line", async () => {
    const lines = [
      JSON.stringify({ devEUI: "00000000000000a1", connections: [first.id] }),
      "{not json",
      JSON.stringify({ devEUI: "zz", connections: [first.id] }),
      JSON.stringify({ devEUI: "00000000000000a2", connections: ["no-such-id"] }),
      JSON.stringify({ devEUI: "00000000000000a3", connections: [second.id] }),
    ];
    await page.getByLabel("Routes file (NDJSON)", { exact: true }).setInputFiles({
      name: "routes.ndjson", mimeType: "application/x-ndjson", buffer: Buffer.from(lines.join("\n") + "\n") });
    await page.getByRole("button", { name: "Import", exact: true }).click();
    await page.getByText("2 routes imported, 3 lines rejected.").waitFor();
    const rejectedLines = await page.locator("table.list tbody tr td:first-child").allTextContents();
    assert.deepEqual(rejectedLines, ["2", "3", "4"]);
    assert.equal((await router.api("GET", "/api/v1/devices/00000000000000a3")).status, 200);
    assert.equal((await router.api("GET", "/api/v1/devices/00000000000000a2")).status, 404);
    await screenshot(page, "device-routes");
  });

  test("an admin adds a restricted user and sees its token once", async () => {
    await page.getByRole("link", { name: "Users", exact: true }).click();
    await page.getByRole("heading", { name: "Add user" }).waitFor();
    await page.getByLabel("Name", { exact: true }).fill("paris-ops");
    await page.getByLabel("Role", { exact: true }).selectOption("viewer");
    await page.getByLabel("Domains", { exact: true }).selectOption({ label: "EMEA/France" });
    await page.getByRole("button", { name: "Add user", exact: true }).click();
    const token = await page.locator(".key-box .key").textContent();
    const users = (await router.api("GET", "/api/v1/users")).body.users;
    const made = users.find((u) => u.name === "paris-ops");
    assert.equal(made.role, "viewer");
    assert.deepEqual(made.domains, [{ group: "Region", name: "EMEA/France" }]);
    assert.equal((await router.api("GET", "/api/v1/connections", undefined, token)).status, 200);
    await page.getByRole("cell", { name: "paris-ops", exact: true }).waitFor();
    await screenshot(page, "users");
    assert.deepEqual(page.problems, []);
  });
});
