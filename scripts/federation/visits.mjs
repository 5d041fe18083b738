// A second, tiny subgraph: it extends smegraph's Country entity (by its ISO code) with the
// SME center platform's planned country visits, so a gateway query must join both subgraphs.
import { createServer } from "node:http";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { graphql, parse } from "graphql";

const typeDefs = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.0", import: ["@key"])
  type Country @key(fields: "code") {
    code: String!
    plannedVisits: Int!
  }
  type Query { visitsPlanned: Int! }
`);
const visits = { PE: 3, EC: 5, JP: 1 };
const schema = buildSubgraphSchema({
  typeDefs,
  resolvers: {
    Query: { visitsPlanned: () => Object.values(visits).reduce((a, b) => a + b, 0) },
    Country: {
      __resolveReference: (ref) => ({ code: ref.code }),
      plannedVisits: (c) => visits[c.code] ?? 0,
    },
  },
});
const port = Number(process.argv[2]);
createServer(async (req, res) => {
  let body = "";
  for await (const chunk of req) body += chunk;
  const { query, variables } = JSON.parse(body || "{}");
  const result = await graphql({ schema, source: query, variableValues: variables });
  res.setHeader("content-type", "application/json");
  res.end(JSON.stringify(result));
}).listen(port, "127.0.0.1");
