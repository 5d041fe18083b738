// Package embedded runs FerretDB in-process, backed by SQLite files, so that smegraph works
// without an external MongoDB server.
//
// The embedded server listens on loopback only. It has FerretDB's limits (no transactions,
// no change streams, no $lookup, $text or $facet; every query scans the collection), which
// the store package is written around.
package embedded

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/FerretDB/FerretDB/ferretdb"
)

// Server is a running embedded FerretDB instance.
type Server struct {
	uri    string
	cancel context.CancelFunc
	done   chan struct{}
}

// Start starts FerretDB with its SQLite files under dir (created when missing), listening
// on addr ("127.0.0.1:0" picks a free port). Only FerretDB's errors are logged, through
// logger. Stop the server with Stop after disconnecting every client.
func Start(dir, addr string, logger *slog.Logger) (*Server, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("embedded database directory: %w", err)
	}
	if err := os.MkdirAll(abs, 0o750); err != nil {
		return nil, fmt.Errorf("embedded database directory: %w", err)
	}

	// FerretDB logs every connection at Info level; only its errors concern an operator.
	quiet := slog.New(&levelHandler{min: slog.LevelError, Handler: logger.Handler()})

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: addr},
		Handler:   "sqlite",
		SQLiteURL: "file:" + filepath.ToSlash(abs) + "/",
		Logger:    quiet,
	})
	if err != nil {
		return nil, fmt.Errorf("embedded database: %w", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = f.Run(ctx) // always nil; it returns when ctx is cancelled
	}()

	// MongoDBURI blocks until the listener is bound, so it is called after Run starts.
	return &Server{uri: f.MongoDBURI(), cancel: cancel, done: done}, nil
}

// URI returns the mongodb:// URI of the server, e.g. "mongodb://127.0.0.1:40123/".
func (s *Server) URI() string { return s.uri }

// Stop closes the listener and the SQLite backend and waits until both are closed or ctx
// ends.
func (s *Server) Stop(ctx context.Context) error {
	s.cancel()
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		return errors.Join(errors.New("embedded database did not stop in time"), ctx.Err())
	}
}

// levelHandler drops records below min; FerretDB's Config takes a logger, not a level.
type levelHandler struct {
	min slog.Level
	slog.Handler
}

func (h *levelHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h *levelHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &levelHandler{min: h.min, Handler: h.Handler.WithAttrs(attrs)}
}

func (h *levelHandler) WithGroup(name string) slog.Handler {
	return &levelHandler{min: h.min, Handler: h.Handler.WithGroup(name)}
}
