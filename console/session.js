// Who the signed-in caller is and what the API lets it do, learnt once per sign-in (and on a
// reload): the pages hide what the caller may not do instead of offering it and showing a 403.
// The router checks every request itself; this only keeps the page honest.

import { api } from "./api.js";

let known = null;

function describe(role, domains, id) {
  return {
    id,
    role,
    domains: domains || [],
    admin: role === "admin",
    /// May create, change and delete connections and device routes (within its domains).
    writes: role !== "viewer",
    /// Restricted to domains: sees cross-domain connections read-only.
    restricted: Boolean(domains && domains.length),
  };
}

/// Asks the router who the token belongs to (GET /api/v1/me: id, role and domains).
export async function learnCaller() {
  const me = await api.me();
  known = describe(me.role || null, me.domains, me.id);
  return known;
}

/// What the last learnCaller() found (before it: a caller that may write, not an admin).
export function caller() {
  return known || describe(null, []);
}

export function forgetCaller() {
  known = null;
}
