// What the API lets a user see and do, the console shows: a manager restricted to a domain sees
// its domains' connections in full, cross-domain ones read-only without their secrets, others not
// at all, no user management, and picks only domains at or below its own; a viewer sees no write
// control anywhere.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Router, defineDomains, launchBrowser, openPage, screenshot, signIn } from "./support.mjs";

describe("a restricted user's view", () => {
  let router, browser, page, own, shared, other, managerToken, viewerToken;
  before(async () => {
    router = await Router.start();
    await defineDomains(router, {
      Region: { color: "#ef6c00", domains: ["EMEA", "EMEA/France", "EMEA/France/Paris", "APAC"] },
      Customer: { color: "#37474f", domains: ["Acme"] },
    });
    const make = async (name, domains) => {
      const made = await router.api("POST", "/api/v1/connections", {
        name, domains, url: "https://ops:pw@" + name.toLowerCase() + ".example.com/up", contentType: "JSON",
        asId: name + ".AS", headers: [{ name: "X-Secret-Tenant", value: "hidden-" + name }],
        additionalInfo: "notes of " + name });
      assert.equal(made.status, 201, JSON.stringify(made.body));
      return made.body;
    };
    own = await make("France", [{ group: "Region", name: "EMEA/France" }]);
    shared = await make("Shared", []);
    other = await make("Apac", [{ group: "Region", name: "APAC" }]);
    const user = async (name, role) => {
      const made = await router.api("POST", "/api/v1/users", { name, role, domains: [{ group: "Region", name: "EMEA/France" }] });
      assert.equal(made.status, 201, JSON.stringify(made.body));
      return made.body.token;
    };
    managerToken = await user("france-manager", "connections-manager");
    viewerToken = await user("france-viewer", "viewer");
    browser = await launchBrowser();
    page = await openPage(browser);
  });
  after(async () => {
    await browser?.close();
    await router?.stop();
  });

  test("the list holds its domain's connections and the cross-domain one, marked read-only", async () => {
    await signIn(page, router, managerToken);
    await page.locator(`tr[data-id="${own.id}"]`).waitFor();
    assert.equal(await page.locator(`tr[data-id="${other.id}"]`).count(), 0);
    const sharedRow = page.locator(`tr[data-id="${shared.id}"]`);
    assert.equal(await sharedRow.locator(".tag").textContent(), "read-only");
    assert.equal(await sharedRow.locator("td.url").textContent(), "withheld");
    assert.equal(await page.locator(`tr[data-id="${own.id}"] td.url`).textContent(), "https://ops:•••@france.example.com/up");
    for (const link of ["Users", "Instances"])
      assert.equal(await page.getByRole("link", { name: link, exact: true }).isVisible(), false, link);
    assert.equal(await page.getByText("Role: connections-manager").isVisible(), true);
    await screenshot(page, "restricted-connections");
  });

  test("the cross-domain connection's page is read-only and shows no secrets", async () => {
    await page.locator(`tr[data-id="${shared.id}"]`).getByRole("link", { name: "Shared" }).click();
    await page.getByText("Read-only: this cross-domain connection", { exact: false }).waitFor();
    for (const name of ["Edit", "Delete", "Regenerate key", "Send test uplink", "Pause"])
      assert.equal(await page.getByRole("button", { name, exact: true }).count(), 0, name);
    const html = await page.content();
    assert.ok(!html.includes("hidden-Shared") && !html.includes("notes of Shared") && !html.includes("shared.example.com"));
    await screenshot(page, "restricted-read-only");
  });

  test("its own domain's connection can be edited, picking only domains at or below its own", async () => {
    await page.goto(router.url + "#/connections/" + own.id);
    await page.getByRole("button", { name: "Edit", exact: true }).click();
    const picker = page.getByLabel("Domains", { exact: true });
    await picker.waitFor();  // the form shows once the domains are loaded, options and all
    const offered = await picker.locator("option:not([value=''])").allTextContents();
    assert.deepEqual(offered, ["EMEA/France/Paris"]);  // EMEA/France is chosen already; no EMEA, APAC or Acme
    await page.getByLabel("Additional information", { exact: true }).fill("changed by france");
    await page.getByRole("button", { name: "SAVE", exact: true }).click();
    await page.getByText("Connection “France” saved.").waitFor();
    assert.equal((await router.api("GET", "/api/v1/connections/" + own.id)).body.additionalInfo, "changed by france");
  });

  test("a domain of its connection that it cannot read is said to be outside its domains", async () => {
    const both = await router.api("POST", "/api/v1/connections", { name: "France Acme",
      domains: [{ group: "Region", name: "EMEA/France" }, { group: "Customer", name: "Acme" }],
      url: "https://fr-acme.example.com/up", contentType: "JSON", asId: "FrAcme.AS" });
    assert.equal(both.status, 201, JSON.stringify(both.body));
    await page.goto(router.url + "#/connections/" + both.body.id + "/edit");
    await page.getByLabel("Domains", { exact: true }).waitFor();
    const chips = await page.locator(".chip").allTextContents();
    assert.ok(chips.some((c) => c.includes("Acme") && c.includes("outside your domains")), chips.join(" | "));
    assert.ok(!chips.some((c) => c.includes("not defined")), chips.join(" | "));
  });

  test("a restricted manager must give a new connection one of its domains", async () => {
    await page.goto(router.url + "#/connections/new");
    await page.getByLabel("Name", { exact: true }).fill("Nowhere");
    await page.getByLabel("URL", { exact: true }).fill("https://nowhere.example.com/up");
    await page.getByLabel("AS_ID", { exact: true }).fill("NOWHERE.AS");
    await page.getByRole("button", { name: "ADD", exact: true }).click();
    const error = page.locator(".field", { has: page.getByLabel("Domains", { exact: true }) }).locator("p.error");
    await error.waitFor();
    assert.match(await error.textContent(), /at least one of your domains/);
    assert.equal((await router.api("GET", "/api/v1/connections")).body.connections.length, 4);  // nothing added
  });

  test("the users page says only an admin manages users", async () => {
    await page.goto(router.url + "#/users");
    await page.getByText("Only an admin manages users.").waitFor();
    assert.deepEqual(page.problems, []);
  });

  test("a viewer sees connections and their health but no write control anywhere", async () => {
    const viewer = await openPage(browser);
    await signIn(viewer, router, viewerToken);
    await viewer.locator(`tr[data-id="${own.id}"]`).waitFor();
    await viewer.getByText("Read-only: your role (viewer)", { exact: false }).first().waitFor();
    assert.equal(await viewer.getByRole("button", { name: "ADD CONNECTION", exact: true }).count(), 0);
    await screenshot(viewer, "viewer-connections");
    await viewer.locator(`tr[data-id="${own.id}"]`).getByRole("link", { name: "France" }).click();
    await viewer.getByRole("heading", { name: "France", level: 1 }).waitFor();
    await viewer.getByRole("heading", { name: "Status" }).waitFor();
    assert.ok((await viewer.content()).includes("france.example.com"));  // its own domain: in full
    for (const name of ["Edit", "Delete", "Regenerate key", "Send test uplink", "Pause", "Resume"])
      assert.equal(await viewer.getByRole("button", { name, exact: true }).count(), 0, name);
    await screenshot(viewer, "viewer-connection");
    await viewer.getByRole("link", { name: "Device routes", exact: true }).click();
    await viewer.getByRole("button", { name: "Look up", exact: true }).waitFor();
    for (const name of ["Save route", "Remove route", "Import"])
      assert.equal(await viewer.getByRole("button", { name, exact: true }).count(), 0, name);
    await viewer.getByRole("link", { name: "Domains", exact: true }).click();
    await viewer.getByRole("heading", { name: "Domains", exact: true }).waitFor();
    assert.equal(await viewer.getByRole("button", { name: "Add domain", exact: true }).count(), 0);
    assert.deepEqual(viewer.problems, []);
  });
});
