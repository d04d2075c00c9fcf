// Checks every object of rendered Helm output against the Kubernetes schemas, offline:
//   node validate.mjs OUT_DIR RENDERED.yaml...
// 1. kubernetes-models validates each object (types, required fields, formats, enums);
// 2. each object is written as a typed TypeScript constant into OUT_DIR/objects.ts, so that
//    `tsc --noEmit --strict` (run by deploy/test-chart.sh) rejects any field the API does not
//    know (TypeScript's excess-property check), at any depth.
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseAllDocuments } from 'yaml';

const [outDir, ...files] = process.argv.slice(2);
if (!outDir || files.length === 0) {
  console.error('usage: node validate.mjs OUT_DIR RENDERED.yaml...');
  process.exit(2);
}

// apiVersion -> the module holding its models.
function moduleOf(apiVersion) {
  if (apiVersion.startsWith('monitoring.coreos.com/'))
    return `@kubernetes-models/prometheus-operator/${apiVersion}`;
  return `kubernetes-models/${apiVersion}`;
}

const imports = new Map();  // module -> set of interface names
const constants = [];
let failures = 0;
let count = 0;

for (const file of files) {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'));
  for (const [i, doc] of docs.entries()) {
    if (doc.errors.length) {
      console.error(`${file}: document ${i}: ${doc.errors[0].message}`);
      failures++;
      continue;
    }
    const object = doc.toJS();
    if (object === null || object === undefined) continue;
    const where = `${basename(file)}: ${object.kind}/${object.metadata?.name}`;
    const module = moduleOf(object.apiVersion ?? '');
    let models;
    try {
      models = await import(module);
    } catch {
      console.error(`${where}: no models for apiVersion ${object.apiVersion}`);
      failures++;
      continue;
    }
    const Model = models[object.kind];
    if (typeof Model !== 'function') {
      console.error(`${where}: unknown kind ${object.kind} in ${object.apiVersion}`);
      failures++;
      continue;
    }
    try {
      new Model(object).validate();
    } catch (e) {
      console.error(`${where}: ${e.message}`);
      failures++;
    }
    const type = `I${object.kind}`;
    if (!imports.has(module)) imports.set(module, new Set());
    imports.get(module).add(type);
    constants.push(`// ${where}\nexport const object${count}: ${type} = ${JSON.stringify(object, null, 2)};\n`);
    count++;
  }
}

const header = [...imports].map(([module, types]) =>
  `import type { ${[...types].sort().join(', ')} } from '${module}';`).join('\n');
writeFileSync(`${outDir}/objects.ts`, `${header}\n\n${constants.join('\n')}`);
console.log(`${count} objects checked against the schemas, ${failures} failures`);
process.exit(failures ? 1 : 0);
