// A user restricted to a domain sees what the API lets it see: its domain's connections in full,
// cross-domain ones read-only without their secrets, others not at all, and no user management.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Router, launchBrowser, openPage, screenshot, signIn } from "./support.mjs";

describe("a restricted user's view", () => {
  let router, browser, page, own, shared, other, token;
  before(async () => {
    router = await Router.start();
    const make = async (name, domains) => (await router.api("POST", "/api/v1/connections", {
      name, domains, url: "https://ops:pw@" + name.toLowerCase() + ".example.com/up", contentType: "JSON",
      asId: name + ".AS", headers: [{ name: "X-Secret-Tenant", value: "hidden-" + name }],
      additionalInfo: "notes of " + name })).body;
    own = await make("Emea", ["emea.example.com"]);
    shared = await make("Shared", []);
    other = await make("Apac", ["apac.example.com"]);
    const user = await router.api("POST", "/api/v1/users", { name: "emea-operator", domains: ["emea.example.com"] });
    assert.equal(user.status, 201);
    token = user.body.token;
    browser = await launchBrowser();
    page = await openPage(browser);
  });
  after(async () => {
    await browser?.close();
    await router?.stop();
  });

  test("the list holds its domain's connections and the cross-domain one, marked read-only", async () => {
    await signIn(page, router, token);
    await page.locator(`tr[data-id="${own.id}"]`).waitFor();
    assert.equal(await page.locator(`tr[data-id="${other.id}"]`).count(), 0);
    const sharedRow = page.locator(`tr[data-id="${shared.id}"]`);
    assert.equal(await sharedRow.locator(".tag").textContent(), "read-only");
    assert.equal(await sharedRow.locator("td.url").textContent(), "withheld");
    assert.equal(await page.locator(`tr[data-id="${own.id}"] td.url`).textContent(), "https://ops:•••@emea.example.com/up");
    assert.equal(await page.getByRole("link", { name: "Users", exact: true }).isVisible(), false);
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

  test("its own domain's connection can be edited", async () => {
    await page.goto(router.url + "#/connections/" + own.id);
    await page.getByRole("button", { name: "Edit", exact: true }).click();
    await page.getByLabel("Additional information", { exact: true }).fill("changed by emea");
    await page.getByRole("button", { name: "SAVE", exact: true }).click();
    await page.getByText("Connection “Emea” saved.").waitFor();
    assert.equal((await router.api("GET", "/api/v1/connections/" + own.id)).body.additionalInfo, "changed by emea");
  });

  test("the users page says only an admin manages users", async () => {
    await page.goto(router.url + "#/users");
    await page.getByText("Only an admin manages users.").waitFor();
    assert.deepEqual(page.problems, []);
  });
});
