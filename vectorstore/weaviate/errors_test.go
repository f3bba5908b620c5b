package weaviate

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/papermap/papermap/embed"
	"github.com/papermap/papermap/vectorstore"
	wv "github.com/weaviate/weaviate-go-client/v5/weaviate"
)

func TestParseAddress(t *testing.T) {
	for _, tc := range []struct {
		in                      string
		host, grpc, coll, level string
		tls                     bool
		err                     string
	}{
		{in: "weaviate://127.0.0.1:8080/Papers", host: "127.0.0.1:8080", grpc: "127.0.0.1:50051", coll: "Papers"},
		{in: "weaviate://h:1/papers?grpc=2&consistency=one", host: "h:1", grpc: "h:2", coll: "Papers", level: One},
		{in: "weaviate://h:1/Lab_2?tls=1", host: "h:1", grpc: "h:50051", coll: "Lab_2", tls: true},
		{in: "weaviate://h:1/", err: "no collection name"},
		{in: "weaviate://h/Papers", err: "no HOST:PORT"},
		{in: "weaviate://h:x/Papers", err: "invalid port"},
		{in: "weaviate://h:1/Pa-pers", err: "letters, digits and '_'"},
		{in: "weaviate://h:1/Papers?grpc=0", err: "grpc=0 is not a port number"},
		{in: "weaviate://h:1/Papers?consistency=most", err: "none of ONE, QUORUM, ALL"},
		{in: "weaviate://h:1/Papers?ef=9", err: `unknown parameter "ef"`},
		{in: "weaviate://u:p@h:1/Papers", err: "WEAVIATE_API_KEY"},
		{in: "http://h:1/Papers", err: "does not start with weaviate://"},
	} {
		a, err := ParseAddress(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), tc.in) {
				t.Errorf("ParseAddress(%q) = %v, want an error naming the address and containing %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseAddress(%q): %v", tc.in, err)
			continue
		}
		if a.Host != tc.host || a.GRPC != tc.grpc || a.Collection != tc.coll || a.Consistency != tc.level || a.TLS != tc.tls {
			t.Errorf("ParseAddress(%q) = %+v", tc.in, a)
		}
	}
}

// fake is a REST endpoint that answers like Weaviate for the calls Open
// makes before any gRPC call, and records every request that would write.
type fake struct {
	mu     sync.Mutex
	writes []string
	auth   string         // required bearer token, "" for none
	status int            // forced status of /v1/meta, 0 for 200
	class  map[string]any // GET /v1/schema/NAME answers, by NAME
}

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		f.mu.Lock()
		f.writes = append(f.writes, r.Method+" "+r.URL.Path)
		f.mu.Unlock()
	}
	if f.auth != "" && r.Header.Get("Authorization") != "Bearer "+f.auth {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	switch {
	case r.URL.Path == "/v1/meta":
		if f.status != 0 {
			w.WriteHeader(f.status)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"version": "1.35.2"})
	case r.URL.Path == "/v1/schema":
		var classes []any
		for _, c := range f.class {
			classes = append(classes, c)
		}
		json.NewEncoder(w).Encode(map[string]any{"classes": classes})
	case strings.HasPrefix(r.URL.Path, "/v1/schema/"):
		c, ok := f.class[strings.TrimPrefix(r.URL.Path, "/v1/schema/")]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		json.NewEncoder(w).Encode(c)
	default:
		w.WriteHeader(http.StatusInternalServerError)
	}
}

// serve starts f and a TCP listener standing for the gRPC port, and
// returns an address for collection coll.
func serve(t *testing.T, f *fake, coll string) string {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	_, gport, _ := net.SplitHostPort(l.Addr().String())
	return "weaviate://" + strings.TrimPrefix(srv.URL, "http://") + "/" + coll + "?grpc=" + gport
}

func TestOpenErrors(t *testing.T) {
	// A port nothing listens on: a listener opened and closed.
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := l.Addr().String()
	l.Close()
	other := map[string]any{"class": "Other", "properties": []any{map[string]any{"name": "title", "dataType": []string{"text"}}}}

	for _, tc := range []struct {
		name     string
		fake     *fake
		addr     string // "" for the fake's address of collection Papers
		key      string
		readOnly bool
		want     []string
		is       any
	}{
		{name: "unreachable", addr: "weaviate://" + dead + "/Papers", want: []string{"cannot reach Weaviate at http://" + dead, "weaviate://" + dead + "/Papers", "is weaviate-server running"}, is: new(*UnreachableError)},
		{name: "no key", fake: &fake{auth: "s3cret"}, want: []string{"requires an API key", "set WEAVIATE_API_KEY"}, is: new(*AuthError)},
		{name: "wrong key", fake: &fake{auth: "s3cret"}, key: "guess", want: []string{"refused the API key in WEAVIATE_API_KEY"}, is: new(*AuthError)},
		{name: "not weaviate", fake: &fake{status: http.StatusTeapot}, want: []string{"answered 418", "is it a Weaviate server?"}},
		{name: "missing collection", fake: &fake{class: map[string]any{"Other": other}}, readOnly: true,
			want: []string{"collection Papers does not exist", "(it has: Other)", "papermap ingest --store"}},
		{name: "foreign collection", fake: &fake{class: map[string]any{"Papers": map[string]any{"class": "Papers"}}},
			want: []string{"collection Papers", "was not made by papermap", "use another collection name"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := tc.addr
			if addr == "" {
				addr = serve(t, tc.fake, "Papers")
			}
			_, err := Open(context.Background(), addr, Options{ReadOnly: tc.readOnly, APIKey: tc.key})
			if err == nil {
				t.Fatal("Open succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if !strings.Contains(err.Error(), addr) && !strings.Contains(err.Error(), "Papers") {
				t.Errorf("error %q names neither the address nor the collection", err)
			}
			if tc.is != nil {
				switch target := tc.is.(type) {
				case **UnreachableError:
					if !errors.As(err, target) {
						t.Errorf("error %T is not an *UnreachableError", err)
					}
				case **AuthError:
					if !errors.As(err, target) {
						t.Errorf("error %T is not an *AuthError", err)
					}
				}
			}
			if tc.fake != nil && len(tc.fake.writes) > 0 {
				t.Errorf("Open wrote: %v", tc.fake.writes)
			}
		})
	}
}

// TestGRPCUnreachable: the REST port answers, the gRPC port does not (a
// wrong ?grpc=): the message names the gRPC address, nothing is written.
func TestGRPCUnreachable(t *testing.T) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	_, dead, _ := net.SplitHostPort(l.Addr().String())
	l.Close()
	f := &fake{}
	addr := serve(t, f, "Papers")
	addr = addr[:strings.LastIndex(addr, "?grpc=")] + "?grpc=" + dead
	_, err := Open(context.Background(), addr, Options{})
	var ue *UnreachableError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "grpc://127.0.0.1:"+dead) || !strings.Contains(err.Error(), addr) ||
		!strings.Contains(err.Error(), "(?grpc=PORT) right?") {
		t.Errorf("Open with a dead gRPC port: %v, want an *UnreachableError naming grpc://127.0.0.1:%s and the address", err, dead)
	}
	if len(f.writes) > 0 {
		t.Errorf("Open wrote: %v", f.writes)
	}
}

// TestWrongDimensions: a batch with a vector of another length, and an
// embedder of another dimension, are refused before anything is sent (the
// store has no client: any request would panic).
func TestWrongDimensions(t *testing.T) {
	a, err := ParseAddress("weaviate://127.0.0.1:1/Papers")
	if err != nil {
		t.Fatal(err)
	}
	info := embed.Info{Backend: "lexical", Model: "lsa", Dimensions: 3}
	s := &Store{addr: a, level: Quorum, opts: Options{BatchSize: 500}, rows: map[string]*row{},
		manifest: vectorstore.Manifest{Embedder: info}, hasManifest: true, saved: true, dim: 3}
	_, err = s.Add(context.Background(), []vectorstore.Record{
		{ID: "a", Embedding: []float32{1, 0, 0}},
		{ID: "b", Embedding: []float32{1, 0}},
	})
	if err == nil || !strings.Contains(err.Error(), `record "b": its embedding has 2 dimensions, the vectors of collection Papers at http://127.0.0.1:1 have 3: nothing was written; ingest with the embedder`) {
		t.Errorf("Add with a 2-dim vector: %v", err)
	}
	// Searches with a query of another dimension: refused before any
	// request.
	for name, search := range map[string]func() error{
		"QueryBatch": func() error {
			_, err := s.QueryBatch(context.Background(), [][]float32{{1, 0}}, 10, vectorstore.QueryOptions{})
			return err
		},
		"Hybrid": func() error {
			_, err := s.Hybrid(context.Background(), "text", []float32{1, 0}, 10, TextOptions{}, vectorstore.QueryOptions{})
			return err
		},
	} {
		if err := search(); err == nil || !strings.Contains(err.Error(), "the query vector has 2 dimensions, the vectors of collection Papers at http://127.0.0.1:1 have 3: search with the embedder") {
			t.Errorf("%s with a 2-dim query: %v", name, err)
		}
	}
	err = s.SetEmbedder(embed.Info{Backend: "lexical", Model: "lsa", Dimensions: 4})
	var me *vectorstore.MismatchError
	if !errors.As(err, &me) || !strings.Contains(err.Error(), "weaviate://127.0.0.1:1/Papers") {
		t.Errorf("SetEmbedder with 4 dims: %v, want a *MismatchError naming the address", err)
	}
	if len(s.rows) != 0 {
		t.Errorf("the store holds %d papers after refused writes", len(s.rows))
	}
}

// TestUnreachableNodes: the nodes named in /v1/nodes's error while a lost
// node is still a member (messages from Weaviate 1.35.2).
func TestUnreachableNodes(t *testing.T) {
	err := errors.New(`status code: 500, error: {"error":[{"message":"node: node2: send http request: Get \"http://127.0.0.1:32023/nodes/status?output=verbose\": dial tcp 127.0.0.1:32023: connect: connection refused"},{"message":"node: node-1: resolve node name \"node-1\" to host"}]}`)
	if got := unreachableNodes(err); !slices.Equal(got, []string{"node2", "node-1"}) {
		t.Errorf("unreachableNodes = %q, want [node2 node-1]", got)
	}
	if got := unreachableNodes(errors.New("status code: 500, error: disk full")); got != nil {
		t.Errorf("unreachableNodes of another error = %q", got)
	}
}

// TestTransientWrite: which per-object write errors a batch retries
// (messages from Weaviate 1.35.2; the first seen on a loaded 3-node test
// cluster, bench/weaviate at 10,000 × 384).
func TestTransientWrite(t *testing.T) {
	for msg, want := range map[string]bool{
		`127.0.0.1:32013: connect: Post "http://127.0.0.1:32013/replicas/indices/C10k/shards/PgGTQ3y0RTms:commit?request_id=node0-64-1a24c4dfe41-13": net/http: timeout awaiting response headers`: true,
		`cannot achieve consistency level "QUORUM": read repair error`: true,
		`dial tcp 127.0.0.1:32023: connect: connection refused`:        true,
		`new vector has a length of 2, but the index expects 3`:        false,
		`invalid text property 'pid' on class 'Papers': not a string`:  false,
	} {
		if got := transientWrite.MatchString(msg); got != want {
			t.Errorf("transient(%q) = %v, want %v", msg, got, want)
		}
	}
}

// TestCheckComplete: which nodes count as holding a shard, from the
// answers of /v1/nodes a 3-node cluster gives while a node is lost
// (replication factor 3, QUORUM: 2 replicas needed).
func TestCheckComplete(t *testing.T) {
	node := func(name, status string, shard bool) map[string]any {
		n := map[string]any{"name": name, "status": status}
		if shard {
			n["shards"] = []any{map[string]any{"class": "C", "name": "S"}}
		}
		return n
	}
	lost := `{"error":[{"message":"node: node1: send http request: Get \"http://127.0.0.1:32013/nodes/status/C?output=verbose\": dial tcp 127.0.0.1:32013: connect: connection refused"}]}`
	steps := []struct {
		what    string
		nodes   []any  // the answer, or
		err     string // the failure of the call
		partial bool
	}{
		{"nodes whose memberlist health score is up (UNHEALTHY) still serve", []any{node("node0", "HEALTHY", true), node("node1", "UNHEALTHY", true), node("node2", "UNHEALTHY", true)}, "", false},
		{"a node too slow to answer (TIMEOUT) is not counted now", []any{node("node0", "HEALTHY", true), node("node1", "HEALTHY", true), node("node2", "TIMEOUT", false)}, "", false},
		{"while node1 is lost, the slow node2 still counts", nil, lost, false},
		{"node1 and node2 gone from the membership", []any{node("node0", "HEALTHY", true)}, "", true},
		{"the holders of the last answer less the lost node", nil, lost, true},
		{"every node back", []any{node("node0", "HEALTHY", true), node("node1", "HEALTHY", true), node("node2", "HEALTHY", true)}, "", false},
	}
	var step int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/nodes/C" {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		if steps[step].err != "" {
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, steps[step].err)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"nodes": steps[step].nodes})
	}))
	defer srv.Close()
	c, err := wv.NewClient(wv.Config{Host: strings.TrimPrefix(srv.URL, "http://"), Scheme: "http"})
	if err != nil {
		t.Fatal(err)
	}
	s := &Store{addr: Address{Raw: "weaviate://test/C", Collection: "C"}, client: c, level: Quorum, factor: 3, nshards: 1}
	for step = range steps {
		err := s.checkOnce(t.Context())
		var pe *PartialError
		if got := errors.As(err, &pe); got != steps[step].partial || (err != nil && !got) {
			t.Errorf("step %d (%s): %v, want partial %v", step, steps[step].what, err, steps[step].partial)
		}
	}
}
