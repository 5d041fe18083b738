// Command smegraph serves the FEALAC SME graph over GraphQL.
//
//	smegraph [flags]        run the server (the default command)
//	smegraph seed [flags]   re-apply the shipped reference data (idempotent)
//
// With MONGODB_URI unset it starts an embedded FerretDB (SQLite files under the data
// directory) on loopback and logs its mongodb:// URI; otherwise it uses that MongoDB server.
// Run `smegraph --help` for the configuration.
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/fealac/smegraph/internal/embedded"
	"github.com/fealac/smegraph/internal/readmodel"
	"github.com/fealac/smegraph/internal/seed"
	"github.com/fealac/smegraph/internal/server"
	"github.com/fealac/smegraph/internal/store"
	"github.com/fealac/smegraph/internal/tracing"
	"github.com/fealac/smegraph/internal/transfer"
)

// Timeouts of the process.
const (
	// operationTimeout is the driver's default timeout for every database operation.
	operationTimeout = 10 * time.Second
	// serverSelectionTimeout is how long an operation waits for a reachable server.
	serverSelectionTimeout = 5 * time.Second
	// startTimeout bounds connecting, indexing and the first seed.
	startTimeout = 60 * time.Second
	// shutdownTimeout bounds draining in-flight requests on SIGINT/SIGTERM.
	shutdownTimeout = 15 * time.Second
	// defaultSyncInterval is how often the read model checks the database's change marker:
	// another process's write shows here within about this long (a poll reads one tiny
	// document).
	defaultSyncInterval = 250 * time.Millisecond
)

// config is the process configuration. Flags win over the environment.
type config struct {
	addr       string // --addr, SMEGRAPH_ADDR, then PORT, default ":8080"
	dataDir    string // --data-dir, SMEGRAPH_DATA_DIR, default "./data"
	mongoURI   string // MONGODB_URI (environment only: it may hold credentials)
	database   string // --mongodb-database, MONGODB_DATABASE, default "smegraph"
	embedAddr  string // --embedded-addr, SMEGRAPH_EMBEDDED_ADDR, default "127.0.0.1:0"
	subcommand string // serve, seed, token create|list|revoke, export, import
	// Flags of the other commands.
	name, role, countries string // token create / revoke
	format, out           string // export, import
	dryRun                bool   // import
	args                  []string
	// Serving.
	production bool // --production, SMEGRAPH_PRODUCTION
	// syncInterval bounds how long another process's write takes to show here (--sync-interval).
	syncInterval time.Duration
	http         server.Options // limits, introspection, suggestions
}

const usage = `smegraph serves the FEALAC SME graph over GraphQL.

Usage:
  smegraph [flags]         run the server (GraphQL at /graphql, IDE at /)
  smegraph seed [flags]    re-apply the shipped reference data (idempotent)
  smegraph token create --name NAME --role admin|editor [--country PE,CL]
                           create an API token for mutations; it is printed once
  smegraph token list      list tokens (never their secrets)
  smegraph token revoke --name NAME
  smegraph export --format json|csv|list [--out FILE]
                           write the whole graph (json) or the interconnectivity list (csv, list)
  smegraph import [--format json|csv|list] [--dry-run] FILE
                           check FILE whole, then apply it (audited as "cli"); the format
                           defaults from the extension (.json, .csv, .txt/.list)

Give the storage flags (--data-dir or MONGODB_URI, --mongodb-database) to every command.

Flags (each has an environment variable; a flag wins over it):
  --addr ADDR              listen address (SMEGRAPH_ADDR; else :$PORT when PORT is set; default :8080)
  --data-dir DIR           directory of the embedded database's files (SMEGRAPH_DATA_DIR; default ./data)
  --mongodb-database NAME  database name (MONGODB_DATABASE; default smegraph)
  --embedded-addr ADDR     loopback address of the embedded database (SMEGRAPH_EMBEDDED_ADDR; default 127.0.0.1:0, a free port)
  --production             turn off introspection and field suggestions (SMEGRAPH_PRODUCTION=true)
  --introspection BOOL     answer __schema/__type (SMEGRAPH_INTROSPECTION; default true, false in production)
  --suggestions BOOL       "Did you mean" in errors (SMEGRAPH_SUGGESTIONS; default true, false in production)
  --federation BOOL        answer _service and _entities as an Apollo Federation v2 subgraph (SMEGRAPH_FEDERATION; default true, false in production)
  --cors-origins LIST      browser origins allowed to call the API, comma-separated, * for any (SMEGRAPH_CORS_ORIGINS; default none)

Limits, checked before any database work (flag / environment, default):
  --max-depth N            SMEGRAPH_MAX_DEPTH, 12: field nesting
  --max-complexity N       SMEGRAPH_MAX_COMPLEXITY, 500000: estimated cost (lists times their size)
  --max-aliases N          SMEGRAPH_MAX_ALIASES, 50
  --max-directives N       SMEGRAPH_MAX_DIRECTIVES, 5: directives on one field
  --max-root-fields N      SMEGRAPH_MAX_ROOT_FIELDS, 20
  --max-query-bytes N      SMEGRAPH_MAX_QUERY_BYTES, 32768
  --max-tokens N           SMEGRAPH_MAX_TOKENS, 5000
  --max-body-bytes N       SMEGRAPH_MAX_BODY_BYTES, 1048576
  --request-timeout D      SMEGRAPH_REQUEST_TIMEOUT, 10s

Reads are answered from an in-memory snapshot of the reference graph, kept in step with the database:
  --sync-interval D        SMEGRAPH_SYNC_INTERVAL, 250ms: how often to look for other processes' writes
                           (another replica, smegraph import); they show here within about this long
  --max-staleness D        SMEGRAPH_MAX_STALENESS, 10s: /readyz answers 503 when the snapshot could not be
                           brought in step with the database for this long (reads are still answered)

Environment only:
  GOGC, GOMEMLIMIT         the Go garbage collector's settings; GOGC defaults to 400 here (see tuneGC)
  MONGODB_URI              a MongoDB server or replica set to use instead of the embedded database,
                           e.g. mongodb://db1,db2,db3/?replicaSet=rs0 (credentials belong here, not in flags)
`

func main() {
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	tuneGC()
	if err := run(os.Args[1:], os.Stdout, logger); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		var bad transfer.Errors
		if errors.As(err, &bad) {
			fmt.Fprintf(os.Stderr, "%s\nnothing was written\n", bad)
			os.Exit(1)
		}
		logger.Error("smegraph failed", "err", err)
		os.Exit(1)
	}
}

// defaultGOGC is the garbage collector's target when GOGC is not set: the heap may grow to
// five times what is live before a collection, instead of twice. Reads allocate a response's
// worth of short-lived objects against a small live heap (the snapshot), so at Go's default of
// 100 the collector ran so often that it took most of the CPU of the dashboard query:
// measured at 8 clients on 2 cores, 227 requests/s at GOGC=100 and 528 at 400. The live heap
// with the shipped data is about 10 MB, so the heap stays near 50 MB.
const defaultGOGC = 400

// tuneGC sets the garbage collector's target to defaultGOGC unless GOGC says otherwise
// (GOGC and GOMEMLIMIT work as for any Go program).
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGOGC)
	}
}

// parseConfig reads args and the environment.
func parseConfig(args []string, stdout io.Writer) (config, error) {
	c := config{subcommand: "serve"}
	if len(args) > 0 {
		switch args[0] {
		case "seed", "export", "import":
			c.subcommand, args = args[0], args[1:]
		case "token":
			if len(args) > 1 && (args[1] == "--help" || args[1] == "-h") {
				_, _ = io.WriteString(stdout, usage)
				return c, flag.ErrHelp
			}
			if len(args) < 2 || !slices.Contains([]string{"create", "list", "revoke"}, args[1]) {
				return c, errors.New("usage: smegraph token create|list|revoke (see --help)")
			}
			c.subcommand, args = "token "+args[1], args[2:]
		}
	}
	env := func(name, def string) string {
		if v := os.Getenv(name); v != "" {
			return v
		}
		return def
	}
	defAddr := ":8080"
	if p := os.Getenv("PORT"); p != "" {
		defAddr = ":" + p
	}
	fs := flag.NewFlagSet("smegraph", flag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.Usage = func() { _, _ = io.WriteString(stdout, usage) }
	fs.StringVar(&c.addr, "addr", env("SMEGRAPH_ADDR", defAddr), "")
	fs.StringVar(&c.dataDir, "data-dir", env("SMEGRAPH_DATA_DIR", "./data"), "")
	fs.StringVar(&c.database, "mongodb-database", env("MONGODB_DATABASE", "smegraph"), "")
	fs.StringVar(&c.embedAddr, "embedded-addr", env("SMEGRAPH_EMBEDDED_ADDR", "127.0.0.1:0"), "")
	fs.StringVar(&c.name, "name", "", "")
	fs.StringVar(&c.role, "role", "", "")
	fs.StringVar(&c.countries, "country", "", "")
	fs.StringVar(&c.format, "format", "", "")
	fs.StringVar(&c.out, "out", "", "")
	fs.BoolVar(&c.dryRun, "dry-run", false, "")
	def := server.Defaults()
	envBool := func(name string, def bool) bool {
		if b, err := strconv.ParseBool(os.Getenv(name)); err == nil {
			return b
		}
		return def
	}
	envInt := func(name string, def int) int {
		if n, err := strconv.Atoi(os.Getenv(name)); err == nil {
			return n
		}
		return def
	}
	envDur := func(name string, def time.Duration) time.Duration {
		if d, err := time.ParseDuration(os.Getenv(name)); err == nil {
			return d
		}
		return def
	}
	introspection, suggestions, federation := true, true, true
	fs.BoolVar(&federation, "federation", envBool("SMEGRAPH_FEDERATION", true), "")
	var origins string
	fs.StringVar(&origins, "cors-origins", os.Getenv("SMEGRAPH_CORS_ORIGINS"), "")
	fs.BoolVar(&c.production, "production", envBool("SMEGRAPH_PRODUCTION", false), "")
	fs.BoolVar(&introspection, "introspection", envBool("SMEGRAPH_INTROSPECTION", true), "")
	fs.BoolVar(&suggestions, "suggestions", envBool("SMEGRAPH_SUGGESTIONS", true), "")
	l := &c.http.Limits
	fs.IntVar(&l.MaxDepth, "max-depth", envInt("SMEGRAPH_MAX_DEPTH", def.Limits.MaxDepth), "")
	fs.IntVar(&l.MaxComplexity, "max-complexity", envInt("SMEGRAPH_MAX_COMPLEXITY", def.Limits.MaxComplexity), "")
	fs.IntVar(&l.MaxAliases, "max-aliases", envInt("SMEGRAPH_MAX_ALIASES", def.Limits.MaxAliases), "")
	fs.IntVar(&l.MaxDirectivesPerField, "max-directives", envInt("SMEGRAPH_MAX_DIRECTIVES", def.Limits.MaxDirectivesPerField), "")
	fs.IntVar(&l.MaxRootFields, "max-root-fields", envInt("SMEGRAPH_MAX_ROOT_FIELDS", def.Limits.MaxRootFields), "")
	fs.IntVar(&l.MaxQueryBytes, "max-query-bytes", envInt("SMEGRAPH_MAX_QUERY_BYTES", def.Limits.MaxQueryBytes), "")
	fs.IntVar(&l.MaxTokens, "max-tokens", envInt("SMEGRAPH_MAX_TOKENS", def.Limits.MaxTokens), "")
	fs.Int64Var(&l.MaxBodyBytes, "max-body-bytes", int64(envInt("SMEGRAPH_MAX_BODY_BYTES", int(def.Limits.MaxBodyBytes))), "")
	fs.DurationVar(&l.RequestTimeout, "request-timeout", envDur("SMEGRAPH_REQUEST_TIMEOUT", def.Limits.RequestTimeout), "")
	fs.DurationVar(&c.syncInterval, "sync-interval", envDur("SMEGRAPH_SYNC_INTERVAL", defaultSyncInterval), "")
	fs.DurationVar(&c.http.MaxStaleness, "max-staleness", envDur("SMEGRAPH_MAX_STALENESS", def.MaxStaleness), "")
	// Flags may follow positional arguments (smegraph import FILE --dry-run).
	for {
		if err := fs.Parse(args); err != nil {
			return c, err
		}
		if fs.NArg() == 0 {
			break
		}
		c.args = append(c.args, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if c.subcommand == "import" {
		if len(c.args) != 1 {
			return c, errors.New("usage: smegraph import [--format F] [--dry-run] FILE")
		}
	} else if len(c.args) > 0 {
		return c, fmt.Errorf("unexpected argument %q (see --help)", c.args[0])
	}
	c.mongoURI = os.Getenv("MONGODB_URI")
	c.http.CORSOrigins = server.ParseOrigins(origins)
	// Production turns both off unless a flag or variable turns one back on explicitly.
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	c.http.Introspection, c.http.Suggestions, c.http.Federation = introspection, suggestions, federation
	if c.production {
		if !set["federation"] && os.Getenv("SMEGRAPH_FEDERATION") == "" {
			c.http.Federation = false
		}
		if !set["introspection"] && os.Getenv("SMEGRAPH_INTROSPECTION") == "" {
			c.http.Introspection = false
		}
		if !set["suggestions"] && os.Getenv("SMEGRAPH_SUGGESTIONS") == "" {
			c.http.Suggestions = false
		}
	}
	for name, v := range map[string]int{"max-depth": l.MaxDepth, "max-complexity": l.MaxComplexity, "max-aliases": l.MaxAliases,
		"max-directives": l.MaxDirectivesPerField, "max-root-fields": l.MaxRootFields, "max-query-bytes": l.MaxQueryBytes,
		"max-tokens": l.MaxTokens, "max-body-bytes": int(l.MaxBodyBytes)} {
		if v < 1 {
			return c, fmt.Errorf("--%s must be at least 1", name)
		}
	}
	if l.RequestTimeout <= 0 {
		return c, errors.New("--request-timeout must be positive")
	}
	if c.syncInterval < 10*time.Millisecond {
		return c, errors.New("--sync-interval must be at least 10ms")
	}
	if c.http.MaxStaleness <= c.syncInterval {
		return c, errors.New("--max-staleness must be longer than --sync-interval")
	}
	return c, nil
}

func run(args []string, stdout io.Writer, logger *slog.Logger) error {
	cfg, err := parseConfig(args, stdout)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if cfg.subcommand == "serve" {
		cfg.http.Metrics = server.NewMetrics()
		if tracing.Enabled() {
			tp, shutdown, err := tracing.Setup(ctx)
			if err != nil {
				return err
			}
			defer func() {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				_ = shutdown(ctx)
			}()
			cfg.http.Tracer = tp
			logger.Info("sending OpenTelemetry traces", "endpoint", cmp.Or(os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"), os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT")))
		}
	}

	db, closeDB, err := openDatabase(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer closeDB()

	switch cfg.subcommand {
	case "seed":
		return runSeed(ctx, db, stdout)
	case "serve":
		return serve(ctx, cfg, db, logger)
	}
	if err := seedIfEmpty(ctx, db, logger); err != nil {
		return err
	}
	return runTool(ctx, cfg, db, stdout)
}

// openDatabase starts the embedded database when no MONGODB_URI is set, connects the
// process's one client, checks the database answers, and creates the indexes. closeDB
// disconnects the client before it stops the embedded database.
func openDatabase(ctx context.Context, cfg config, logger *slog.Logger) (*store.Store, func(), error) {
	uri := cfg.mongoURI
	var emb *embedded.Server
	if uri == "" {
		var err error
		dir := filepath.Join(cfg.dataDir, "ferretdb")
		if emb, err = embedded.Start(dir, cfg.embedAddr, logger); err != nil {
			return nil, nil, err
		}
		uri = emb.URI()
		if cfg.subcommand == "serve" {
			logger.Info("embedded database started (open it with mongosh or Compass while smegraph runs)", "uri", uri, "dir", dir)
		}
	}
	stopEmbedded := func() {
		if emb == nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		if err := emb.Stop(ctx); err != nil {
			logger.Error("stopping the embedded database", "err", err)
			return
		}
		if cfg.subcommand == "serve" {
			logger.Info("embedded database stopped")
		}
	}

	// A request fails fast while no server is reachable (the driver keeps looking, and the
	// first request after the database returns succeeds), unless the URI sets its own.
	clientOpts := options.Client().SetTimeout(operationTimeout).SetServerSelectionTimeout(serverSelectionTimeout).ApplyURI(uri)
	var monitors []*event.CommandMonitor
	if cfg.http.Metrics != nil {
		monitors = append(monitors, cfg.http.Metrics.CommandMonitor())
	}
	if cfg.http.Tracer != nil {
		monitors = append(monitors, tracing.CommandMonitor(cfg.http.Tracer))
	}
	if len(monitors) > 0 {
		clientOpts.SetMonitor(tracing.Monitors(monitors...))
	}
	client, err := mongo.Connect(clientOpts)
	if err != nil {
		stopEmbedded()
		return nil, nil, fmt.Errorf("connect to MongoDB: %w", err)
	}
	closeDB := func() {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		if err := client.Disconnect(ctx); err != nil {
			logger.Error("disconnecting from MongoDB", "err", err)
		} else if cfg.subcommand == "serve" {
			logger.Info("disconnected from the database")
		}
		stopEmbedded()
	}

	startCtx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	s := store.New(client, cfg.database)
	if err := s.Ping(startCtx); err != nil {
		closeDB()
		return nil, nil, fmt.Errorf("MongoDB does not answer: %w", err)
	}
	if err := s.Prepare(startCtx); err != nil {
		closeDB()
		return nil, nil, err
	}
	return s, closeDB, nil
}

// tokenName is the shape of a token's name: it appears in the audit trail and token list.
var tokenName = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// seedActor is who re-applying the reference data is recorded as in the audit trail.
var seedActor = &store.Actor{Name: "seed", Role: store.RoleAdmin}

// runSeed re-applies the reference data and prints what changed per collection. On a
// database that has data, what it changes is recorded in the audit trail as "seed".
func runSeed(ctx context.Context, s *store.Store, stdout io.Writer) error {
	empty, err := s.IsEmpty(ctx)
	if err != nil {
		return err
	}
	ds, err := seed.Dataset()
	if err != nil {
		return err
	}
	opts := store.ApplyOptions{}
	if !empty {
		opts.Actor = seedActor
	}
	results, err := s.ApplyWith(ctx, ds, time.Now(), opts)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	for _, r := range results {
		fmt.Fprintf(stdout, "%-12s %3d inserted %3d updated %3d unchanged\n", r.Collection, r.Inserted, r.Updated, r.Unchanged)
	}
	return nil
}

// serve loads the reference data into an empty database, then serves HTTP until ctx ends
// and drains in-flight requests.
func serve(ctx context.Context, cfg config, s *store.Store, logger *slog.Logger) error {
	if err := seedIfEmpty(ctx, s, logger); err != nil {
		return err
	}

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	// The read model loads in the background (retrying until it succeeds; /readyz is 503
	// until then) and follows the database until shutdown.
	model := readmodel.New(s, logger)
	modelCtx, stopModel := context.WithCancel(ctx)
	defer stopModel()
	go model.Run(modelCtx, readmodel.Options{Poll: cfg.syncInterval})
	srv := newHTTPServer(server.NewWith(s, model, logger, cfg.http), cfg.http.Limits.RequestTimeout, logger)
	logger.Info("smegraph listening", "graphql", baseURL(ln.Addr())+server.GraphQLPath, "ide", baseURL(ln.Addr())+server.IDEPath)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down: draining in-flight requests", "timeout", shutdownTimeout)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	logger.Info("HTTP server stopped")
	return nil
}

// newHTTPServer returns the http.Server for h. A client that stalls before or inside its
// request body, or while reading the response, loses its connection; the work of one request
// ends after requestTimeout, and its response has 20 s more to be written.
func newHTTPServer(h http.Handler, requestTimeout time.Duration, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      requestTimeout + 20*time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

// baseURL returns the http:// URL a person on this machine opens for addr.
func baseURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// runTool runs the token, export and import commands.
func runTool(ctx context.Context, cfg config, s *store.Store, stdout io.Writer) error {
	switch cfg.subcommand {
	case "token create":
		if !tokenName.MatchString(cfg.name) || cfg.name == store.CLIActor.Name || cfg.name == seedActor.Name {
			return errors.New("token create: --name must be 1 to 64 letters, digits, '.', '_' or '-', and not cli or seed (the command line's own names in the audit trail)")
		}
		var countries []string
		switch cfg.role {
		case store.RoleAdmin:
			if cfg.countries != "" {
				return errors.New("token create: an admin may change every country; give --country only with --role editor")
			}
		case store.RoleEditor:
			if strings.TrimSpace(cfg.countries) == "" {
				return errors.New("token create: an editor needs --country CODE[,CODE...]")
			}
			for _, c := range strings.Split(cfg.countries, ",") {
				country, err := s.Country(ctx, c)
				if err != nil {
					return fmt.Errorf("token create: --country %q is not a member country", c)
				}
				countries = append(countries, country.Code)
			}
		default:
			return errors.New("token create: --role must be admin or editor")
		}
		secret, err := s.CreateToken(ctx, cfg.name, cfg.role, countries, time.Now())
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s\n", secret)
		fmt.Fprintln(os.Stderr, "Keep this token: it is shown once and stored only as a hash.")
		return nil
	case "token list":
		tokens, err := s.Tokens(ctx)
		if err != nil {
			return err
		}
		for _, t := range tokens {
			state := "active"
			if t.RevokedAt != nil {
				state = "revoked " + t.RevokedAt.Format(time.RFC3339)
			}
			fmt.Fprintf(stdout, "%-20s %-6s %-12s created %s, %s\n", t.Name, t.Role, strings.Join(t.Countries, ","), t.CreatedAt.Format(time.RFC3339), state)
		}
		return nil
	case "token revoke":
		if err := s.RevokeToken(ctx, cfg.name, time.Now()); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("token revoke: no active token named %q", cfg.name)
			}
			return err
		}
		fmt.Fprintf(stdout, "revoked %s\n", cfg.name)
		return nil
	case "export":
		w := stdout
		if cfg.out != "" {
			f, err := os.Create(cfg.out)
			if err != nil {
				return err
			}
			defer f.Close()
			w = f
		}
		return transfer.Export(ctx, s, cfg.format, w)
	case "import":
		path := cfg.args[0]
		format := cmp.Or(cfg.format, transfer.FormatOf(path))
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		return transfer.Import(ctx, s, format, f, cfg.dryRun, stdout)
	}
	return fmt.Errorf("unknown command %q", cfg.subcommand)
}

// seedIfEmpty loads the reference data into a database that has none, so that every command
// (serving, tokens for countries, imports) finds the countries.
func seedIfEmpty(ctx context.Context, s *store.Store, logger *slog.Logger) error {
	empty, err := s.IsEmpty(ctx)
	if err != nil || !empty {
		return err
	}
	if _, err := seed.Load(ctx, s, time.Now()); err != nil {
		return fmt.Errorf("first seed: %w", err)
	}
	logger.Info("loaded the FEALAC reference data into the empty database")
	return nil
}
