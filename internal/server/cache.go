package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
)

// cacheMaxAge is how long caches may keep an anonymous GET answer, in seconds: reference data
// changes rarely, and an edit is visible to every cache within a minute.
const cacheMaxAge = "60"

// cacheGET lets HTTP caches keep answers to anonymous GET queries (a persisted query's hash,
// or the query itself, in the URL): a successful answer without errors gets
// Cache-Control: public and a strong ETag (SHA-256 of the body), and a request whose
// If-None-Match names that ETag gets 304 without a body. Anything else passes unchanged.
func cacheGET(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.Header.Get("Authorization") != "" {
			if r.Method == http.MethodPost {
				w.Header().Set("Cache-Control", "no-store")
			}
			next.ServeHTTP(w, r)
			return
		}
		buf := &bufferedWriter{header: http.Header{}, status: http.StatusOK}
		next.ServeHTTP(buf, r)
		for k, v := range buf.header {
			w.Header()[k] = v
		}
		body := buf.body.Bytes()
		if buf.status == http.StatusOK && !bytes.Contains(body, []byte(`"errors"`)) {
			// The media type is part of the representation: an ETag per type and body.
			sum := sha256.Sum256(append([]byte(buf.header.Get("Content-Type")+"\n"), body...))
			etag := `"` + hex.EncodeToString(sum[:16]) + `"`
			w.Header().Set("ETag", etag)
			w.Header().Set("Cache-Control", "public, max-age="+cacheMaxAge)
			for _, tag := range strings.Split(r.Header.Get("If-None-Match"), ",") {
				if strings.TrimSpace(tag) == etag || strings.TrimSpace(tag) == "W/"+etag {
					w.WriteHeader(http.StatusNotModified)
					return
				}
			}
		} else {
			w.Header().Set("Cache-Control", "no-store")
		}
		w.WriteHeader(buf.status)
		_, _ = w.Write(body)
	})
}

// bufferedWriter keeps a response to inspect it before sending it.
type bufferedWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedWriter) Header() http.Header         { return b.header }
func (b *bufferedWriter) WriteHeader(code int)        { b.status = code }
func (b *bufferedWriter) Write(p []byte) (int, error) { return b.body.Write(p) }
