// The Instances page: a single node shows itself; in cluster mode the live replicas sharing the
// real PostgreSQL store (the ctest fixture), a second replica appearing and, stopped, leaving the
// list without a reload. Only an admin has the page.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { Router, launchBrowser, openPage, postgresSchema, screenshot, signIn } from "./support.mjs";

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

describe("a single node", () => {
  let router, page;
  before(async () => {
    router = await Router.start();
    page = await openPage(browser);
  });
  after(async () => {
    await router?.stop();
  });

  test("shows itself as the only instance", async () => {
    await signIn(page, router);
    await page.getByRole("link", { name: "Instances", exact: true }).click();
    await page.getByRole("heading", { name: "Instances", exact: true }).waitFor();
    await page.getByText("Single node: this router keeps its own store", { exact: false }).waitFor();
    const rows = page.locator("table.instances tbody tr");
    assert.equal(await rows.count(), 1);
    assert.match(await rows.first().textContent(), /Running/);
    const own = (await router.api("GET", "/api/v1/instances")).body;
    assert.equal(own.cluster, false);
    assert.ok(own.instances[0].version && (await rows.first().textContent()).includes(own.instances[0].version));
    await screenshot(page, "instances-single");
    assert.deepEqual(page.problems, []);
  });

  test("is not offered to a user who is not an admin", async () => {
    const user = await router.api("POST", "/api/v1/users", { name: "operator" });
    assert.equal(user.status, 201);
    const other = await openPage(browser);
    await signIn(other, router, user.body.token);
    assert.equal(await other.getByRole("link", { name: "Instances", exact: true }).isVisible(), false);
    await other.goto(router.url + "#/instances");
    await other.getByText("Only an admin sees the instances.").waitFor();
  });
});

describe("a cluster", () => {
  const cluster = { token: "console-cluster-token-" + randomBytes(8).toString("hex"),
    dataKey: randomBytes(32).toString("hex") };
  let schema, a, b, page;
  before(async () => {
    schema = postgresSchema();
    cluster.storeUrl = schema.url;
    a = await Router.start({ cluster });
    page = await openPage(browser);
  });
  after(async () => {
    await b?.stop();
    await a?.stop();
    schema?.drop();
  });

  test("lists the live replicas, a new one appearing and a stopped one leaving without a reload", async () => {
    await signIn(page, a);
    await page.getByRole("link", { name: "Instances", exact: true }).click();
    await page.getByText("Cluster mode: 1 live replica shares the PostgreSQL store", { exact: false }).waitFor();
    b = await Router.start({ cluster });
    await page.getByText("Cluster mode: 2 live replicas share", { exact: false }).waitFor({ timeout: 15000 });
    const listed = (await a.api("GET", "/api/v1/instances")).body.instances;
    assert.equal(listed.length, 2);
    for (const one of listed) {
      const row = page.locator(`tr[data-instance="${one.id}"]`);
      assert.match(await row.textContent(), /Live/);
      assert.ok((await row.textContent()).includes(one.version));
    }
    await screenshot(page, "instances-cluster");
    await b.stop();
    b = null;
    // A replica silent for 6 s leaves the list; the page polls every few seconds.
    await page.getByText("Cluster mode: 1 live replica shares", { exact: false }).waitFor({ timeout: 20000 });
    assert.equal(await page.locator("table.instances tbody tr").count(), 1);
    assert.deepEqual(page.problems, []);
  });
});
