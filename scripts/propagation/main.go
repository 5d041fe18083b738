// Command propagation measures how long a write made through one smegraph process takes to
// show in another process on the same database (the change feed of internal/store/feed.go:
// other processes poll its generation marker every --sync-interval, 250ms by default).
//
// It builds smegraph, starts process A on a fresh embedded database (--data-dir in a temporary
// directory), reads the embedded database's mongodb:// URI from A's log, creates an admin token
// with `smegraph token create` on that URI, and starts process B with MONGODB_URI set to it.
// Then, -n times, it changes an agency through A (updateAgency toggling its acronym, with the
// version last read) and polls B every -poll until B answers the new version. It prints the
// delay's p50/p95/p99/max, measured from the moment the mutation was sent to A and from the
// moment A acknowledged it, and stops both processes. Everything runs on 127.0.0.1; each wait
// is bounded (-timeout per write, -deadline for the whole run).
//
//	go run ./scripts/propagation                 # 200 writes, the server's default --sync-interval
//	go run ./scripts/propagation -n 50 -sync-interval 100ms
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type options struct {
	n            int
	poll         time.Duration
	timeout      time.Duration
	deadline     time.Duration
	syncInterval string
	bin          string
	keepLogs     bool
}

func main() {
	var o options
	flag.IntVar(&o.n, "n", 200, "writes to measure")
	flag.DurationVar(&o.poll, "poll", 5*time.Millisecond, "how often B is asked for the agency's version")
	flag.DurationVar(&o.timeout, "timeout", 10*time.Second, "give up on one write after this long")
	flag.DurationVar(&o.deadline, "deadline", 10*time.Minute, "stop the whole run after this long")
	flag.StringVar(&o.syncInterval, "sync-interval", "", "pass --sync-interval to both processes (empty: the server's default, 250ms)")
	flag.StringVar(&o.bin, "bin", "", "a smegraph binary to run instead of building the module in the current directory")
	flag.BoolVar(&o.keepLogs, "keep-logs", false, "keep the temporary directory with both processes' logs")
	flag.Parse()
	if o.n < 1 || o.poll <= 0 || o.timeout <= 0 {
		fmt.Fprintln(os.Stderr, "propagation: -n, -poll and -timeout must be positive")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	ctx, cancel := context.WithTimeout(ctx, o.deadline)
	err := run(ctx, o)
	cancel()
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "propagation:", err)
		os.Exit(1)
	}
}

// proc is one smegraph process started by this program.
type proc struct {
	name string
	cmd  *exec.Cmd
	url  string // GraphQL endpoint
	base string // http://host:port
	done chan struct{}
	log  *os.File
}

func run(ctx context.Context, o options) (err error) {
	dir, err := os.MkdirTemp("", "smegraph-propagation-")
	if err != nil {
		return err
	}
	var procs []*proc
	defer func() {
		for _, p := range slices.Backward(procs) {
			p.stop()
		}
		if o.keepLogs || err != nil {
			fmt.Fprintf(os.Stderr, "logs kept in %s\n", dir)
			return
		}
		os.RemoveAll(dir)
	}()

	bin := o.bin
	if bin == "" {
		bin = filepath.Join(dir, "smegraph")
		build := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("go build (run this from the module's root): %w", err)
		}
	}
	var extra []string
	if o.syncInterval != "" {
		extra = append(extra, "--sync-interval", o.syncInterval)
	}

	// A: the embedded database's owner.
	addrA, err := freeAddr()
	if err != nil {
		return err
	}
	uriCh := make(chan string, 1)
	a, err := start(dir, "A", bin, append([]string{"--addr", addrA, "--data-dir", filepath.Join(dir, "data")}, extra...), nil, uriCh)
	if err != nil {
		return err
	}
	procs = append(procs, a)
	var uri string
	select {
	case uri = <-uriCh:
	case <-a.done:
		return fmt.Errorf("A exited before it logged the database's URI (see %s)", a.log.Name())
	case <-time.After(90 * time.Second):
		return errors.New("A logged no embedded database URI within 90 s")
	case <-ctx.Done():
		return ctx.Err()
	}
	if err := a.waitReady(ctx); err != nil {
		return err
	}

	// The admin token, through the same database.
	env := []string{"MONGODB_URI=" + uri}
	tok := exec.CommandContext(ctx, bin, "token", "create", "--name", "propagation", "--role", "admin")
	tok.Dir = dir
	tok.Env = append(baseEnv(), env...)
	tok.Stderr = io.Discard
	out, err := tok.Output()
	if err != nil {
		return fmt.Errorf("smegraph token create: %w", err)
	}
	token := strings.TrimSpace(string(out))

	// B: a second process on A's database.
	addrB, err := freeAddr()
	if err != nil {
		return err
	}
	b, err := start(dir, "B", bin, append([]string{"--addr", addrB}, extra...), env, nil)
	if err != nil {
		return err
	}
	procs = append(procs, b)
	if err := b.waitReady(ctx); err != nil {
		return err
	}

	// The agency to change, as A sees it.
	var first struct {
		Agencies struct {
			Nodes []struct {
				ID      string  `json:"id"`
				Acronym *string `json:"acronym"`
				Version int     `json:"version"`
			} `json:"nodes"`
		} `json:"agencies"`
	}
	if err := gql(ctx, a.url, "", `{ agencies(first: 1) { nodes { id acronym version } } }`, nil, &first); err != nil {
		return err
	}
	if len(first.Agencies.Nodes) == 0 {
		return errors.New("A lists no agency")
	}
	ag := first.Agencies.Nodes[0]
	acronym := "PROPAGATION"
	if ag.Acronym != nil {
		acronym = *ag.Acronym
	}
	version := ag.Version
	fmt.Printf("smegraph A %s (embedded database %s), B %s; sync interval %s; agency %s; %d writes, B polled every %s\n",
		addrA, uri, addrB, orDefault(o.syncInterval, "default (250ms)"), ag.ID, o.n, o.poll)

	const mutation = `mutation($id: ID!, $v: Int!, $acr: String) {
  updateAgency(input: {id: $id, expectedVersion: $v, acronym: $acr}) { agency { version } userErrors { code message } }
}`
	const read = `query($id: ID!) { agency(id: $id) { version } }`
	var fromSend, fromAck, mutLat []time.Duration
	var timeouts, staleOnA int
	for i := range o.n {
		// A random pause, so that the writes do not fall in step with B's polling.
		pause := time.Duration(rand.Int64N(int64(300 * time.Millisecond)))
		select {
		case <-time.After(pause):
		case <-ctx.Done():
			return ctx.Err()
		}
		next := acronym + "-X"
		if i%2 == 1 {
			next = acronym
		}
		var res struct {
			UpdateAgency struct {
				Agency     *struct{ Version int } `json:"agency"`
				UserErrors []struct{ Code, Message string }
			} `json:"updateAgency"`
		}
		sent := time.Now()
		if err := gql(ctx, a.url, token, mutation, map[string]any{"id": ag.ID, "v": version, "acr": next}, &res); err != nil {
			return fmt.Errorf("write %d: %w", i+1, err)
		}
		acked := time.Now()
		if len(res.UpdateAgency.UserErrors) > 0 || res.UpdateAgency.Agency == nil {
			return fmt.Errorf("write %d refused: %+v", i+1, res.UpdateAgency.UserErrors)
		}
		want := res.UpdateAgency.Agency.Version
		if want != version+1 {
			return fmt.Errorf("write %d: version %d after %d", i+1, want, version)
		}
		version = want
		mutLat = append(mutLat, acked.Sub(sent))
		// A answers its own write at once (it applies what it wrote before it answers).
		if v, err := agencyVersion(ctx, a.url, read, ag.ID); err != nil {
			return err
		} else if v != want {
			staleOnA++
		}
		seen := false
		for limit := acked.Add(o.timeout); time.Now().Before(limit); {
			v, err := agencyVersion(ctx, b.url, read, ag.ID)
			if err != nil {
				return fmt.Errorf("reading B: %w", err)
			}
			if v >= want {
				now := time.Now()
				fromSend, fromAck = append(fromSend, now.Sub(sent)), append(fromAck, now.Sub(acked))
				seen = true
				break
			}
			select {
			case <-time.After(o.poll):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if !seen {
			timeouts++
			fmt.Fprintf(os.Stderr, "write %d: B still lacks version %d after %s\n", i+1, want, o.timeout)
		}
	}

	fmt.Printf("\nwrites: %d, shown on B: %d, not shown within %s: %d; A not showing its own write at once: %d\n",
		o.n, len(fromAck), o.timeout, timeouts, staleOnA)
	fmt.Println("| delay until B shows the write | p50 ms | p95 ms | p99 ms | max ms |")
	fmt.Println("|---|---:|---:|---:|---:|")
	row("from sending the mutation to A", fromSend)
	row("from A's acknowledgement", fromAck)
	row("(the mutation itself, on A)", mutLat)
	if m, err := snapshotMetrics(ctx, b.base); err == nil && m != "" {
		fmt.Printf("\nB's snapshot metrics at the end:\n%s", m)
	}
	if timeouts > 0 {
		return fmt.Errorf("%d writes never showed on B within %s", timeouts, o.timeout)
	}
	return nil
}

func row(name string, d []time.Duration) {
	if len(d) == 0 {
		fmt.Printf("| %s | - | - | - | - |\n", name)
		return
	}
	s := slices.Clone(d)
	slices.Sort(s)
	p := func(q float64) float64 {
		i := int(q*float64(len(s))+0.5) - 1
		return ms(s[max(0, min(i, len(s)-1))])
	}
	fmt.Printf("| %s | %.1f | %.1f | %.1f | %.1f |\n", name, p(0.50), p(0.95), p(0.99), ms(s[len(s)-1]))
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// baseEnv is this process's environment without smegraph's own settings (SMEGRAPH_*,
// MONGODB_*, PORT), so that the children use only the ones this program gives them.
func baseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SMEGRAPH_") && !strings.HasPrefix(kv, "MONGODB_") && !strings.HasPrefix(kv, "PORT=") {
			env = append(env, kv)
		}
	}
	return env
}

var uriRE = regexp.MustCompile(`uri=("(?:[^"\\]|\\.)*"|\S+)`)

// start runs bin with args (and env added), logging to dir/NAME.log; when uriCh is not nil the
// embedded database's URI is sent to it once the process logs it.
func start(dir, name, bin string, args, env []string, uriCh chan<- string) (*proc, error) {
	logf, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(baseEnv(), env...)
	cmd.Stdout = logf
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, log: logf, done: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(logf, line)
			if uriCh != nil && !sent && strings.Contains(line, "embedded database started") {
				if m := uriRE.FindStringSubmatch(line); m != nil {
					u := m[1]
					if uq, err := strconv.Unquote(u); err == nil {
						u = uq
					}
					uriCh <- u
					sent = true
				}
			}
		}
		io.Copy(io.Discard, pr)
	}()
	go func() {
		cmd.Wait()
		pw.Close()
		close(p.done)
	}()
	addr := args[slices.Index(args, "--addr")+1]
	p.base = "http://" + addr
	p.url = p.base + "/graphql"
	return p, nil
}

// waitReady waits until the process answers a GraphQL query (60 s at most).
func (p *proc) waitReady(ctx context.Context) error {
	limit := time.Now().Add(60 * time.Second)
	for {
		var v struct {
			Typename string `json:"__typename"`
		}
		err := gql(ctx, p.url, "", `{ __typename }`, nil, &v)
		if err == nil {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("%s exited (see %s)", p.name, p.log.Name())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(limit) {
			return fmt.Errorf("%s does not answer at %s: %w", p.name, p.url, err)
		}
	}
}

// stop ends the process: SIGTERM, then SIGKILL after 15 s.
func (p *proc) stop() {
	select {
	case <-p.done:
	default:
		p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(15 * time.Second):
			p.cmd.Process.Kill()
			<-p.done
		}
	}
	p.log.Close()
}

var client = &http.Client{Timeout: 15 * time.Second}

// gql posts one GraphQL operation and decodes its data into out; GraphQL errors are errors.
func gql(ctx context.Context, url, token, query string, vars map[string]any, out any) error {
	buf := new(bytes.Buffer)
	if err := json.NewEncoder(buf).Encode(map[string]any{"query": query, "variables": vars}); err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(buf.Bytes()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var r struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return fmt.Errorf("HTTP %d: %.200s", resp.StatusCode, body)
	}
	if len(r.Errors) > 0 {
		return fmt.Errorf("GraphQL error: %s", r.Errors[0].Message)
	}
	return json.Unmarshal(r.Data, out)
}

func agencyVersion(ctx context.Context, url, query, id string) (int, error) {
	var v struct {
		Agency *struct{ Version int } `json:"agency"`
	}
	if err := gql(ctx, url, "", query, map[string]any{"id": id}, &v); err != nil {
		return 0, err
	}
	if v.Agency == nil {
		return 0, fmt.Errorf("no agency %s", id)
	}
	return v.Agency.Version, nil
}

// snapshotMetrics returns the smegraph_snapshot_* lines of /metrics (no comments).
func snapshotMetrics(ctx context.Context, base string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var sb strings.Builder
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if l := sc.Text(); strings.HasPrefix(l, "smegraph_snapshot_") && !strings.Contains(l, "_bucket{") {
			sb.WriteString("  " + l + "\n")
		}
	}
	return sb.String(), sc.Err()
}
