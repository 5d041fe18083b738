// Command synthetic adds N synthetic agencies (internal/seed.Synthetic, the records that
// scripts/bench uses) to the smegraph database at MONGODB_URI, with one unaudited bulk write
// (store.Apply). A running smegraph sees them through the change feed like any other write.
// `smegraph import` audits every record and is far slower for thousands of them; this is for
// measuring at scale only.
//
//	MONGODB_URI=mongodb://127.0.0.1:PORT/ go run ./scripts/synthetic -n 10000
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/fealac/smegraph/internal/seed"
	"github.com/fealac/smegraph/internal/store"
)

func main() {
	n := flag.Int("n", 10000, "synthetic agencies to add (spread over the member countries)")
	db := flag.String("database", envOr("MONGODB_DATABASE", "smegraph"), "database name")
	flag.Parse()
	if err := run(*n, os.Getenv("MONGODB_URI"), *db); err != nil {
		fmt.Fprintln(os.Stderr, "synthetic:", err)
		os.Exit(1)
	}
}

func run(n int, uri, db string) error {
	if uri == "" {
		return errors.New("set MONGODB_URI (a running smegraph logs its embedded database's URI)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	client, err := mongo.Connect(options.Client().ApplyURI(uri).SetTimeout(5 * time.Minute))
	if err != nil {
		return err
	}
	defer client.Disconnect(context.Background())
	agencies, err := seed.Synthetic(n)
	if err != nil {
		return err
	}
	start := time.Now()
	res, err := store.New(client, db).Apply(ctx, &store.Dataset{Agencies: agencies}, time.Now())
	if err != nil {
		return err
	}
	for _, r := range res {
		fmt.Printf("%s: %d inserted, %d updated, %d unchanged in %s\n", r.Collection, r.Inserted, r.Updated, r.Unchanged, time.Since(start).Round(time.Millisecond))
	}
	return nil
}

func envOr(k, d string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return d
}
