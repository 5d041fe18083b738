package main

import (
	"log/slog"

	"bytes"
	"errors"
	"flag"
	"github.com/fealac/smegraph/internal/server"
	"strings"
	"testing"
)

// TestConfig checks the configuration names and their precedence: flag, then environment,
// then PORT (for the address), then the default.
func TestConfig(t *testing.T) {
	for _, v := range []string{"SMEGRAPH_ADDR", "PORT", "SMEGRAPH_DATA_DIR", "MONGODB_URI", "MONGODB_DATABASE", "SMEGRAPH_EMBEDDED_ADDR"} {
		t.Setenv(v, "")
	}
	c, err := parseConfig(nil, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if c.addr != ":8080" || c.dataDir != "./data" || c.database != "smegraph" || c.mongoURI != "" || c.subcommand != "serve" || c.embedAddr != "127.0.0.1:0" {
		t.Errorf("defaults: %+v", c)
	}

	t.Setenv("PORT", "9000")
	if c, _ = parseConfig(nil, &bytes.Buffer{}); c.addr != ":9000" {
		t.Errorf("PORT: addr %q", c.addr)
	}
	t.Setenv("SMEGRAPH_ADDR", "127.0.0.1:7000")
	t.Setenv("SMEGRAPH_DATA_DIR", "/var/lib/smegraph")
	t.Setenv("MONGODB_URI", "mongodb://db:27017/")
	t.Setenv("MONGODB_DATABASE", "fromenv")
	if c, _ = parseConfig([]string{"seed"}, &bytes.Buffer{}); c.addr != "127.0.0.1:7000" || c.dataDir != "/var/lib/smegraph" ||
		c.mongoURI != "mongodb://db:27017/" || c.database != "fromenv" || c.subcommand != "seed" {
		t.Errorf("environment: %+v", c)
	}
	c, err = parseConfig([]string{"--addr", ":1234", "--data-dir", "d", "--mongodb-database", "fromflag"}, &bytes.Buffer{})
	if err != nil || c.addr != ":1234" || c.dataDir != "d" || c.database != "fromflag" {
		t.Errorf("flags must win: %+v %v", c, err)
	}

	var help bytes.Buffer
	if _, err := parseConfig([]string{"--help"}, &help); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("--help: %v", err)
	}
	for _, name := range []string{"--addr", "SMEGRAPH_ADDR", "PORT", "--data-dir", "SMEGRAPH_DATA_DIR", "MONGODB_URI", "MONGODB_DATABASE", "seed"} {
		if !strings.Contains(help.String(), name) {
			t.Errorf("--help does not list %s", name)
		}
	}
	if _, err := parseConfig([]string{"--nope"}, &bytes.Buffer{}); err == nil {
		t.Error("an unknown flag was accepted")
	}
}

// TestHTTPServerTimeouts checks that a client stalling mid-body cannot hold a connection
// forever (an adversarial review held one for 75 s and counting).
func TestHTTPServerTimeouts(t *testing.T) {
	timeout := server.Defaults().Limits.RequestTimeout
	srv := newHTTPServer(nil, timeout, slog.New(slog.DiscardHandler))
	if srv.ReadHeaderTimeout <= 0 || srv.ReadTimeout <= 0 || srv.WriteTimeout <= 0 || srv.IdleTimeout <= 0 {
		t.Errorf("timeouts: %+v", srv)
	}
	if srv.WriteTimeout <= timeout {
		t.Errorf("WriteTimeout %s is not longer than a request may run (%s)", srv.WriteTimeout, timeout)
	}
}

// TestProductionConfig checks --production and the limit flags.
func TestProductionConfig(t *testing.T) {
	for _, v := range []string{"SMEGRAPH_PRODUCTION", "SMEGRAPH_INTROSPECTION", "SMEGRAPH_SUGGESTIONS", "SMEGRAPH_MAX_DEPTH"} {
		t.Setenv(v, "")
	}
	c, err := parseConfig(nil, &bytes.Buffer{})
	if err != nil || !c.http.Introspection || !c.http.Suggestions || c.http.Limits.MaxDepth != 12 {
		t.Errorf("defaults: %+v %v", c.http, err)
	}
	if c, _ = parseConfig([]string{"--production"}, &bytes.Buffer{}); c.http.Introspection || c.http.Suggestions {
		t.Errorf("--production: %+v", c.http)
	}
	if c, _ = parseConfig([]string{"--production", "--introspection=true"}, &bytes.Buffer{}); !c.http.Introspection || c.http.Suggestions {
		t.Errorf("--production --introspection=true: %+v", c.http)
	}
	t.Setenv("SMEGRAPH_PRODUCTION", "true")
	t.Setenv("SMEGRAPH_MAX_DEPTH", "8")
	if c, _ = parseConfig([]string{"--max-aliases", "7"}, &bytes.Buffer{}); c.http.Introspection || c.http.Limits.MaxDepth != 8 || c.http.Limits.MaxAliases != 7 {
		t.Errorf("environment: %+v", c.http)
	}
	if _, err := parseConfig([]string{"--max-depth", "0"}, &bytes.Buffer{}); err == nil {
		t.Error("--max-depth 0 was accepted")
	}
}
