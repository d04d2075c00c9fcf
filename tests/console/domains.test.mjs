// Domain groups and domains as a person manages them in the console: an admin adds groups with
// their badge colours and a hierarchy of domains, deactivates and deletes them (a domain in use
// is refused with the router's reason), and picks domains in the connection form by group.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Router, fieldError, launchBrowser, openPage, screenshot, signIn } from "./support.mjs";

describe("domain groups and domains", () => {
  let router, browser, page;
  before(async () => {
    router = await Router.start();
    browser = await launchBrowser();
    page = await openPage(browser);
    page.on("dialog", (dialog) => dialog.accept());
    await signIn(page, router);
  });
  after(async () => {
    await browser?.close();
    await router?.stop();
  });

  test("an admin adds two groups with their badge colours", async () => {
    await page.getByRole("link", { name: "Domain groups", exact: true }).click();
    await page.getByText("No domain group yet.").waitFor();
    for (const [name, description, colour] of [["Region", "Where the devices are", "#aa3300"],
      ["Customer", "Who owns them", "#2e7d32"]]) {
      await page.getByLabel("Name", { exact: true }).fill(name);
      await page.getByLabel("Description", { exact: true }).fill(description);
      await page.getByLabel("Badge colour", { exact: true }).fill(colour);
      await page.getByRole("button", { name: "Add group", exact: true }).click();
      await page.locator(`tr[data-group="${name}"]`).waitFor();
    }
    const groups = (await router.api("GET", "/api/v1/domain-groups")).body;
    const region = (groups.domainGroups || groups.groups || groups).find((g) => g.name === "Region");
    assert.deepEqual([region.description, region.color], ["Where the devices are", "#aa3300"]);
    const badge = page.locator('tr[data-group="Region"] .badge');
    assert.equal(await badge.evaluate((b) => getComputedStyle(b).backgroundColor), "rgb(170, 51, 0)");
  });

  test("a group's name is checked where it is typed, and the router's refusal shows there too", async () => {
    await page.getByLabel("Name", { exact: true }).fill("A name far longer than twenty");
    await page.getByRole("button", { name: "Add group", exact: true }).click();
    assert.match(await fieldError(page, "Name"), /at most 20 characters/);
    await page.getByLabel("Name", { exact: true }).fill("Region");
    await page.getByRole("button", { name: "Add group", exact: true }).click();
    await page.locator(".field", { has: page.getByLabel("Name", { exact: true }) }).locator("p.error", { hasText: /./ }).waitFor();
    assert.notEqual(await fieldError(page, "Name"), "");
    const groups = (await router.api("GET", "/api/v1/domain-groups")).body;
    assert.equal((groups.domainGroups || groups.groups || groups).length, 2);
  });

  test("an admin edits a group's description and colour; its name stays", async () => {
    await page.locator('tr[data-group="Customer"]').getByRole("button", { name: "Edit", exact: true }).click();
    assert.equal(await page.getByLabel("Name", { exact: true }).isDisabled(), true);
    await page.getByLabel("Description", { exact: true }).fill("The tenants");
    await page.getByLabel("Badge colour", { exact: true }).fill("#6a1b9a");
    await page.getByRole("button", { name: "Save group", exact: true }).click();
    await page.locator('tr[data-group="Customer"]', { hasText: "The tenants" }).waitFor();
    await screenshot(page, "domain-groups");
  });

  test("an admin builds a hierarchy of domains, shown as a tree by group", async () => {
    await page.getByRole("link", { name: "Domains", exact: true }).click();
    await page.getByRole("heading", { name: "Add domain" }).waitFor();
    for (const [group, name] of [["Region", "EMEA"], ["Region", "EMEA/France"], ["Region", "EMEA/France/Paris"],
      ["Customer", "Acme"]]) {
      await page.getByLabel("Group", { exact: true }).selectOption({ label: group });
      await page.getByLabel("Name", { exact: true }).fill(name);
      await page.getByRole("button", { name: "Add domain", exact: true }).click();
      await page.locator(`section[data-group="${group}"] tr[data-domain="${name}"]`).waitFor();
    }
    assert.deepEqual(await page.locator('section[data-group="Region"] tr[data-domain]').evaluateAll(
      (rows) => rows.map((r) => r.getAttribute("data-domain"))), ["EMEA", "EMEA/France", "EMEA/France/Paris"]);
    const all = (await router.api("GET", "/api/v1/domains")).body;
    assert.equal((all.domains || all).length, 4);
  });

  test("a domain whose parent does not exist is refused under its name, nothing stored", async () => {
    await page.getByLabel("Group", { exact: true }).selectOption({ label: "Region" });
    await page.getByLabel("Name", { exact: true }).fill("APAC/Japan");
    await page.getByRole("button", { name: "Add domain", exact: true }).click();
    await page.locator(".field", { has: page.getByLabel("Name", { exact: true }) }).locator("p.error", { hasText: /./ }).waitFor();
    const all = (await router.api("GET", "/api/v1/domains")).body;
    assert.equal((all.domains || all).length, 4);
  });

  test("the connection form picks domains by group, one per group, and the API reads them back", async () => {
    await page.getByRole("link", { name: "Connections", exact: true }).click();
    await page.getByRole("button", { name: "ADD CONNECTION", exact: true }).click();
    await page.getByLabel("Name", { exact: true }).fill("Paris AS");
    const picker = page.getByLabel("Domains", { exact: true });
    await picker.selectOption({ label: "EMEA" });
    await picker.selectOption({ label: "EMEA/France/Paris" });  // replaces EMEA: one per group
    await picker.selectOption({ label: "Acme" });
    const chosen = page.locator("ul.chips .chip");
    assert.deepEqual(await chosen.allTextContents(), ["Region: EMEA/France/Paris✕", "Customer: Acme✕"]);
    await page.getByLabel("URL", { exact: true }).fill("https://as.example.com/up");
    await page.getByLabel("AS_ID", { exact: true }).fill("PARIS.AS");
    await screenshot(page, "connection-domains-picker");
    await page.getByRole("button", { name: "ADD", exact: true }).click();
    await page.getByText("Connection “Paris AS” added.").waitFor();
    const c = (await router.api("GET", "/api/v1/connections")).body.connections[0];
    assert.deepEqual(c.domains.map(({ group, name }) => ({ group, name })).sort((a, b) => a.group.localeCompare(b.group)),
      [{ group: "Customer", name: "Acme" }, { group: "Region", name: "EMEA/France/Paris" }]);
  });

  test("an inactive domain is no longer offered; a domain in use cannot be deleted", async () => {
    await page.getByRole("link", { name: "Domains", exact: true }).click();
    await page.getByRole("button", { name: "Deactivate Region: EMEA/France", exact: true }).click();
    await page.locator('tr[data-domain="EMEA/France"]', { hasText: "Inactive" }).waitFor();
    const domain = await router.api("GET", "/api/v1/domains/Region/EMEA/France");
    assert.equal(domain.body.active, false);
    await page.getByRole("button", { name: "Delete Customer: Acme", exact: true }).click();
    await page.locator(".notice.error", { hasText: "Could not delete Customer: Acme" }).waitFor();
    assert.equal((await router.api("GET", "/api/v1/domains/Customer/Acme")).status, 200);
    await screenshot(page, "domains");

    await page.getByRole("link", { name: "Connections", exact: true }).click();
    await page.getByRole("button", { name: "ADD CONNECTION", exact: true }).click();
    const picker = page.getByLabel("Domains", { exact: true });
    await picker.waitFor();  // the form shows once the domains are loaded, options and all
    const offered = await picker.locator("option").allTextContents();
    assert.ok(offered.includes("EMEA") && !offered.includes("EMEA/France"), offered.join(", "));
    assert.deepEqual(page.problems, []);
  });
});
