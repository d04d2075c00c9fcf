// Checks the security settings of one rendering of the chart, offline:
//   node security.mjs RENDERED.yaml ROUTER_DEFAULT_DENY_LIST [OPTION...]
// options: --deny CIDR (a block as.deny_networks must hold besides the router's defaults and
// loopback; repeatable), --scrape-secret NAME/KEY (the Secret the ServiceMonitor must scrape with;
// default: the one the pods read TUNNEL_ROUTER_ADMIN_TOKEN from).
// 1. router.ini (the ConfigMap) sets admin.metrics_token_required = true and an as.deny_networks
//    holding the router's default list, loopback (127.0.0.0/8, ::1/128) and every --deny block;
// 2. each ServiceMonitor endpoint scraping /metrics sends a bearer token from that Secret;
// 3. nothing asks Prometheus to scrape without a token (prometheus.io/* annotations).
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';

const [file, routerDefaults, ...options] = process.argv.slice(2);
if (!file || routerDefaults === undefined) {
  console.error('usage: node security.mjs RENDERED.yaml ROUTER_DEFAULT_DENY_LIST [--deny CIDR]... [--scrape-secret NAME/KEY]');
  process.exit(2);
}
const splitList = (text) => text.split(/[,\s]+/).filter((entry) => entry !== '');
const mustDeny = [...splitList(routerDefaults), '127.0.0.0/8', '::1/128'];
let scrapeSecret = null;
for (let i = 0; i < options.length; i += 2) {
  if (options[i] === '--deny') mustDeny.push(options[i + 1]);
  else if (options[i] === '--scrape-secret') scrapeSecret = options[i + 1];
  else {
    console.error(`unknown option ${options[i]}`);
    process.exit(2);
  }
}

const problems = [];
const objects = parseAllDocuments(readFileSync(file, 'utf8')).map((doc) => doc.toJS()).filter(Boolean);

// INI text -> { section: { key: value } }
function parseIni(text) {
  const out = {};
  let section = null;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith(';') || line.startsWith('#')) continue;
    const header = line.match(/^\[(.+)\]$/);
    if (header) {
      section = out[header[1]] ??= {};
      continue;
    }
    const equals = line.indexOf('=');
    if (section && equals > 0) section[line.slice(0, equals).trim()] = line.slice(equals + 1).trim();
  }
  return out;
}

// 1. router.ini
const configMaps = objects.filter((o) => o.kind === 'ConfigMap' && o.data?.['router.ini'] !== undefined);
if (configMaps.length !== 1) problems.push(`${configMaps.length} ConfigMaps hold a router.ini, expected 1`);
for (const configMap of configMaps) {
  const ini = parseIni(configMap.data['router.ini']);
  if (ini.admin?.metrics_token_required !== 'true')
    problems.push(`router.ini: admin.metrics_token_required is ${ini.admin?.metrics_token_required ?? 'missing'}, expected true`);
  const deny = splitList(ini.as?.deny_networks ?? '');
  if (deny.length === 0) problems.push('router.ini: no as.deny_networks');
  for (const block of mustDeny)
    if (!deny.includes(block)) problems.push(`router.ini: as.deny_networks lacks ${block}`);
}

// 2. the ServiceMonitor scrapes with the token
const workloads = objects.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet');
const tokenRefs = new Set();
for (const workload of workloads)
  for (const container of workload.spec.template.spec.containers)
    for (const variable of container.env ?? [])
      if (variable.name === 'TUNNEL_ROUTER_ADMIN_TOKEN') {
        const ref = variable.valueFrom?.secretKeyRef;
        tokenRefs.add(ref ? `${ref.name}/${ref.key}` : '(not from a Secret)');
      }
const expected = scrapeSecret ?? (tokenRefs.size === 1 ? [...tokenRefs][0] : null);
if (!scrapeSecret && tokenRefs.size !== 1)
  problems.push(`the pods read TUNNEL_ROUTER_ADMIN_TOKEN from [${[...tokenRefs].join(', ')}], expected one Secret key`);
for (const monitor of objects.filter((o) => o.kind === 'ServiceMonitor')) {
  const endpoints = monitor.spec?.endpoints ?? [];
  if (!endpoints.some((e) => e.path === '/metrics')) problems.push(`ServiceMonitor/${monitor.metadata.name}: no /metrics endpoint`);
  for (const endpoint of endpoints) {
    const auth = endpoint.authorization;
    const got = auth?.credentials ? `${auth.credentials.name}/${auth.credentials.key}` : null;
    if ((auth?.type ?? 'Bearer') !== 'Bearer' || got === null)
      problems.push(`ServiceMonitor/${monitor.metadata.name}: port ${endpoint.port} scrapes without a bearer token`);
    else if (expected && got !== expected)
      problems.push(`ServiceMonitor/${monitor.metadata.name}: the token comes from ${got}, expected ${expected}`);
  }
}

// 3. no annotation-driven scrape (it would send no token)
for (const object of objects) {
  const annotated = [object.metadata?.annotations, object.spec?.template?.metadata?.annotations];
  for (const annotations of annotated)
    for (const name of Object.keys(annotations ?? {}))
      if (name.startsWith('prometheus.io/'))
        problems.push(`${object.kind}/${object.metadata.name}: annotation ${name} (a scrape without the token)`);
}

for (const problem of problems) console.error(`${file}: ${problem}`);
process.exit(problems.length ? 1 : 0);
