package main

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary act as the smegraph binary for TestKillNine.
func TestMain(m *testing.M) {
	if os.Getenv("SMEGRAPH_TEST_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// smegraph runs this test binary as smegraph with args.
func smegraph(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "SMEGRAPH_TEST_MAIN=1", "MONGODB_URI=")
	return cmd
}

// TestKillNine checks that acknowledged mutations survive kill -9 of the process running the
// embedded database, and that the audit trail reads right after the restart.
func TestKillNine(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the server three times")
	}
	dir := t.TempDir()
	out, err := smegraph("token", "create", "--name", "durability", "--role", "admin", "--data-dir", dir).Output()
	if err != nil {
		t.Fatalf("token create: %v", err)
	}
	token := strings.TrimSpace(string(out))

	start := func() (*exec.Cmd, string) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		cmd := smegraph("--addr", addr, "--data-dir", dir)
		var logs bytes.Buffer
		cmd.Stderr = &logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		for range 200 {
			if resp, err := http.Get("http://" + addr + "/readyz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return cmd, "http://" + addr + "/graphql"
				}
			}
			time.Sleep(50 * time.Millisecond)
		}
		_ = cmd.Process.Kill()
		t.Fatalf("the server did not start:\n%s", logs.String())
		return nil, ""
	}
	post := func(url, query string, vars map[string]any) map[string]any {
		body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var r map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || r["errors"] != nil {
			t.Fatalf("%s: %v %v", query, err, r)
		}
		return r["data"].(map[string]any)
	}

	cmd, url := start()
	created := post(url, `mutation { createAgency(input: {country: "JP", name: "SME Agency", url: "https://www.chusho.meti.go.jp/"}) { agency { id version } } }`, nil)
	id := created["createAgency"].(map[string]any)["agency"].(map[string]any)["id"].(string)
	post(url, `mutation($id: ID!) { updateAgency(input: {id: $id, expectedVersion: 1, acronym: "SMEA"}) { agency { version } } }`, map[string]any{"id": id})
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no shutdown, no flush
		t.Fatal(err)
	}
	_ = cmd.Wait()

	cmd, url = start()
	defer func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	}()
	got := post(url, `query($id: ID!) { agency(id: $id) { name acronym version } changes(node: $id) { totalCount nodes { operation } } }`, map[string]any{"id": id})
	want := `{"agency":{"acronym":"SMEA","name":"SME Agency","version":2},"changes":{"nodes":[{"operation":"CREATE"},{"operation":"UPDATE"}],"totalCount":2}}`
	if b, _ := json.Marshal(got); string(b) != want {
		t.Errorf("after kill -9:\n%s\nwant\n%s", b, want)
	}
}

// TestTokenCommands checks the token commands on a fresh data directory: an editor's
// countries are checked against the reference data (loaded first), roles and countries must
// fit, and a revoked token's name can be reused.
func TestTokenCommands(t *testing.T) {
	dir := t.TempDir()
	run := func(args ...string) (string, error) {
		out, err := smegraph(append(args, "--data-dir", dir)...).Output()
		return strings.TrimSpace(string(out)), err
	}
	if out, err := run("token", "create", "--name", "peru-desk", "--role", "editor", "--country", "per,cl"); err != nil || !strings.HasPrefix(out, "smg_") {
		t.Fatalf("editor token on a fresh directory: %q %v", out, err)
	}
	for _, bad := range [][]string{
		{"token", "create", "--name", "x", "--role", "editor"},
		{"token", "create", "--name", "x", "--role", "admin", "--country", "PE"},
		{"token", "create", "--name", "x", "--role", "owner"},
		{"token", "create", "--name", "x", "--role", "editor", "--country", "XX"},
		{"token", "create", "--name", "peru-desk", "--role", "admin"},
		{"token", "create", "--name", "cli", "--role", "editor", "--country", "PE"},
		{"token", "create", "--name", "a\nb", "--role", "admin"},
	} {
		if _, err := run(bad...); err == nil {
			t.Errorf("%v was accepted", bad)
		}
	}
	if _, err := run("token", "revoke", "--name", "peru-desk"); err != nil {
		t.Fatal(err)
	}
	if _, err := run("token", "create", "--name", "peru-desk", "--role", "editor", "--country", "PE"); err != nil {
		t.Errorf("the name of a revoked token cannot be reused: %v", err)
	}
	list, _ := run("token", "list")
	if !strings.Contains(list, "peru-desk (revoked") || !strings.Contains(list, "PE,CL") || strings.Contains(list, "smg_") {
		t.Errorf("token list:\n%s", list)
	}
}
