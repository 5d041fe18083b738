// Composes the subgraphs named on the command line ("name=url" pairs) into a supergraph with
// @apollo/composition and prints its SDL; exits 1 with the composition errors otherwise.
import { composeServices } from "@apollo/composition";
import { parse } from "graphql";

const services = [];
for (const arg of process.argv.slice(2)) {
  const [name, url] = arg.split("=");
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: "{ _service { sdl } }" }),
  });
  const body = await res.json();
  if (!body.data?._service?.sdl) {
    console.error(`${name}: no _service.sdl: ${JSON.stringify(body)}`);
    process.exit(1);
  }
  services.push({ name, url, typeDefs: parse(body.data._service.sdl) });
}
const result = composeServices(services);
if (result.errors?.length) {
  for (const e of result.errors) console.error(e.message);
  process.exit(1);
}
process.stdout.write(result.supergraphSdl);
