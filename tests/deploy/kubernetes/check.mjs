// Checks every document of the given Kubernetes YAML files against the Kubernetes API's own
// OpenAPI schemas (kubernetes-models, pinned by package-lock.json): known apiVersion/kind,
// required fields, types, enums and formats. No cluster needed. Not checked: a field the schema
// does not know (the schemas allow extra fields, as the API server's non-strict decoding does),
// and what only a server checks (admission, quotas, names taken).
// Usage: node check.mjs FILE.yaml…   exit 0 when every document is valid, 1 naming each problem.
import { readFileSync } from "node:fs";
import YAML from "yaml";

let problems = 0;
let checked = 0;

for (const file of process.argv.slice(2)) {
  const documents = YAML.parseAllDocuments(readFileSync(file, "utf8"));
  for (const [index, document] of documents.entries()) {
    const where = `${file}: document ${index + 1}`;
    if (document.errors.length) {
      for (const error of document.errors) console.error(`${where}: YAML: ${error.message}`);
      problems += document.errors.length;
      continue;
    }
    const object = document.toJS();
    if (object === null) continue;
    const { apiVersion, kind } = object;
    const group = apiVersion?.includes("/") ? apiVersion : `v1`;
    let Model;
    try {
      Model = (await import(`kubernetes-models/${group}/${kind}`))[kind];
    } catch {
      console.error(`${where}: unknown apiVersion/kind ${apiVersion} ${kind}`);
      problems += 1;
      continue;
    }
    try {
      new Model(object).validate();
    } catch (error) {
      console.error(`${where} (${kind} ${object.metadata?.name}): ${error.message}`);
      problems += 1;
      continue;
    }
    checked += 1;
    console.log(`ok ${where}: ${kind} ${object.metadata?.name}`);
  }
}
console.log(`\n${checked} documents valid, ${problems} problems`);
process.exit(problems ? 1 : 0);
