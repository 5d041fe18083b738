package server

import (
	"embed"
	"net/http"

	"github.com/99designs/gqlgen/graphql/playground"
)

// ideFiles are the GraphiQL page's scripts and styles, served from the binary so that the
// IDE works on a network without internet access. They are exactly the files gqlgen's
// playground pins (same Subresource Integrity hashes), taken from the npm packages
// graphiql 4.1.2 (MIT) and react and react-dom 18.2.0 (MIT).
//
//go:embed ide/graphiql.min.js ide/graphiql.min.css ide/react.production.min.js ide/react-dom.production.min.js
var ideFiles embed.FS

// IDEAssetsPath is where the IDE's files are served.
const IDEAssetsPath = "/ide/"

// ide returns the GraphiQL page pointed at the GraphQL endpoint, loading its files from
// IDEAssetsPath. The explorer plugin is off: its stylesheet exists only on the CDN.
func ide() http.Handler {
	return playground.Handler("smegraph", GraphQLPath,
		playground.WithGraphiqlVersion(IDEAssetsPath+"graphiql.min.js", IDEAssetsPath+"graphiql.min.css",
			"sha256-hnImuor1znlJkD/FOTL3jayfS/xsyNoP04abi8bFJWs=", "sha256-MEh+B2NdMSpj9kexQNN3QKc8UzMrCXW/Sx/phcpuyIU="),
		playground.WithGraphiqlReactVersion(IDEAssetsPath+"react.production.min.js", IDEAssetsPath+"react-dom.production.min.js",
			"sha256-S0lp+k7zWUMk2ixteM6HZvu8L9Eh//OVrt+ZfbCpmgY=", "sha256-IXWO0ITNDjfnNXIu5POVfqlgYoop36bDzhodR6LW5Pc="),
		playground.WithGraphiqlEnablePluginExplorer(false),
	)
}

// ideAssets serves the IDE's files, cacheable for a day (they change only with the binary).
func ideAssets() http.Handler {
	files := http.FileServerFS(ideFiles)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		files.ServeHTTP(w, r)
	})
}
