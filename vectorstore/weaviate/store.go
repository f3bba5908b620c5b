package weaviate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"net"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	wv "github.com/weaviate/weaviate-go-client/v5/weaviate"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/fault"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/filters"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/graphql"
	wvgrpc "github.com/weaviate/weaviate-go-client/v5/weaviate/grpc"
	"github.com/weaviate/weaviate/entities/models"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/papermap/papermap/embed"
	"github.com/papermap/papermap/vectorstore"
)

// Options says how to open a Weaviate store. The zero value opens for
// writing, creating the collections when missing, at QUORUM.
type Options struct {
	// ReadOnly refuses every write, and a collection that does not exist.
	ReadOnly bool

	// APIKey is sent as a bearer token; "" reads WEAVIATE_API_KEY.
	APIKey string

	// Consistency is the level of every read and write: One, Quorum or
	// All; "" takes the address's ?consistency=, else Quorum.
	Consistency string

	// Replicas is the replication factor of a new collection; 0 gives
	// min(3, the number of nodes), so a 3-node cluster survives one node.
	Replicas int

	// Ef is the HNSW search list size of a new collection; 0 gives
	// DefaultEf.
	Ef int

	// EfConstruction is the HNSW build list size of a new collection; 0
	// gives DefaultEfConstruction. Each insert costs about in proportion.
	EfConstruction int

	// MaxConnections is the HNSW links per node of a new collection; 0
	// gives DefaultMaxConnections.
	MaxConnections int

	// BatchSize is the number of objects per write request; 0 gives 500.
	BatchSize int

	// InFlight is the number of write requests sent at once; 0 gives
	// DefaultInFlight.
	InFlight int

	// Timeout bounds each request; 0 gives 60 s.
	Timeout time.Duration
}

// DefaultEf is the HNSW ef of a new collection: Weaviate's default
// (dynamic ef, at least 100) gave 0.75 recall@10 on random 384-dim vectors
// and 256 gave 0.954 (issue 15); the arXiv test checks its top-10 against
// the exact local store.
const DefaultEf = 256

// DefaultEfConstruction and DefaultMaxConnections are the HNSW build
// settings of a new collection: Weaviate's own defaults. An efConstruction
// of 256 (used before) cost 1.3-1.4 times the server CPU per insert; the recall
// of both is in bench/RESULTS.md ("Weaviate II").
const (
	DefaultEfConstruction = 128
	DefaultMaxConnections = 32
)

// DefaultInFlight is the number of write batches Add keeps in flight: with
// one, the server idles while the client prepares and sends the next batch
// and the client idles while the server indexes (bench/RESULTS.md,
// "Weaviate II").
const DefaultInFlight = 2

// filesSuffix names the companion collection of a papers collection.
const filesSuffix = "_Files"

// manifestFile is the manifest's name among the companion files.
const manifestFile = "manifest.json"

// filePart is the most bytes of a file per object.
const filePart = 4 << 20

// Property names of the papers collection.
const (
	propID      = "pid"     // the paper ID (filterable, exact)
	propHash    = "hash"    // vectorstore.HashRecord of content and metadata
	propContent = "content" // the abstract (BM25-searchable)
	propKV      = "kv"      // "key=value" for each non-empty metadata field (filterable)
	propMeta    = "meta"    // the metadata as JSON
	propTitle   = "title"   // the title (BM25-searchable); absent from collections made before it
)

// Property names of the files collection.
const (
	propName  = "name"
	propGen   = "gen"   // the generation a part belongs to ("" on the pointer)
	propPart  = "part"  // part number; -1 on the pointer
	propParts = "parts" // number of parts (pointer)
	propData  = "data"  // bytes (blob)
)

// Store is a papermap store kept in a Weaviate collection (see the package
// documentation). Its methods are safe for concurrent use.
type Store struct {
	addr     Address
	opts     Options
	client   *wv.Client
	http     *http.Client
	key      string
	files    string // companion collection
	level    string
	factor   int  // replication factor of the papers collection
	nshards  int  // its shards
	hasTitle bool // the papers collection has propTitle

	wmu         sync.Mutex // serialises writes
	mu          sync.RWMutex
	closed      bool
	manifest    vectorstore.Manifest
	hasManifest bool
	saved       bool
	dim         int
	rows        map[string]*row
	holders     map[string][]string // shard -> nodes known to hold it, at the last CheckComplete that reached every node
}

// row is one paper as read at Open or written since.
type row struct {
	hash    string
	content string
	meta    map[string]string
	vec     []float32
}

var _ vectorstore.Backend = (*Store)(nil)

// Open connects to the Weaviate store at addr (see ParseAddress), checks
// that the server answers and that the collection is papermap's, creates
// it (and its companion collection of files) when missing unless
// opts.ReadOnly, and reads its papers through the cursor API.
func Open(ctx context.Context, addr string, opts Options) (*Store, error) {
	a, err := ParseAddress(addr)
	if err != nil {
		return nil, err
	}
	if opts.APIKey == "" {
		opts.APIKey = os.Getenv("WEAVIATE_API_KEY")
	}
	if opts.Timeout == 0 {
		opts.Timeout = 60 * time.Second
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 500
	}
	if opts.Ef == 0 {
		opts.Ef = DefaultEf
	}
	if opts.EfConstruction <= 0 {
		opts.EfConstruction = DefaultEfConstruction
	}
	if opts.MaxConnections <= 0 {
		opts.MaxConnections = DefaultMaxConnections
	}
	if opts.InFlight <= 0 {
		opts.InFlight = DefaultInFlight
	}
	s := &Store{addr: a, opts: opts, key: opts.APIKey, files: a.Collection + filesSuffix,
		http: &http.Client{Timeout: opts.Timeout}, rows: make(map[string]*row)}
	switch {
	case opts.Consistency != "":
		s.level = strings.ToUpper(opts.Consistency)
	case a.Consistency != "":
		s.level = a.Consistency
	default:
		s.level = Quorum
	}
	if s.level != One && s.level != Quorum && s.level != All {
		return nil, fmt.Errorf("weaviate: consistency %q is none of ONE, QUORUM, ALL", opts.Consistency)
	}
	if err := s.probe(ctx); err != nil {
		return nil, err
	}
	headers := map[string]string{}
	if s.key != "" {
		headers["Authorization"] = "Bearer " + s.key
	}
	s.client, err = wv.NewClient(wv.Config{Host: a.Host, Scheme: a.scheme(), Headers: headers,
		Timeout: opts.Timeout, GrpcConfig: &wvgrpc.Config{Host: a.GRPC, Secured: a.TLS}})
	if err != nil {
		return nil, &UnreachableError{Address: a.Raw, URL: "grpc://" + a.GRPC, Err: err}
	}
	if err := s.ensureSchema(ctx); err != nil {
		return nil, err
	}
	if err := s.loadManifest(ctx); err != nil {
		return nil, err
	}
	if err := s.loadRows(ctx); err != nil {
		return nil, err
	}
	// Learn which nodes hold which shard (one call of CheckComplete, no
	// re-check: the answer only primes the holders); a partial
	// cluster is reported by the searches, not here.
	var pe *PartialError
	if err := s.checkOnce(ctx); err != nil && !errors.As(err, &pe) {
		return nil, err
	}
	if !s.hasManifest && len(s.rows) > 0 {
		return nil, fmt.Errorf("collection %s at %s holds %d papers but no manifest (file %s in %s), so which embedder made their vectors is unknown: ingest into a new collection",
			a.Collection, a.restURL(), len(s.rows), manifestFile, s.files)
	}
	return s, nil
}

// probe calls /v1/meta to tell an unreachable server and a refused key
// apart before the client library does anything.
func (s *Store) probe(ctx context.Context) error {
	u := s.addr.restURL() + "/v1/meta"
	resp, err := s.get(ctx, u)
	if err != nil {
		return &UnreachableError{Address: s.addr.Raw, URL: s.addr.restURL(), Err: err}
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return &AuthError{Address: s.addr.Raw, Status: resp.StatusCode, HadKey: s.key != ""}
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("Weaviate at %s (store %s) answered %s to GET /v1/meta: is it a Weaviate server?", s.addr.restURL(), s.addr.Raw, resp.Status)
	}
	// The gRPC port, which searches and writes use.
	d := net.Dialer{Timeout: 5 * time.Second}
	c, err := d.DialContext(ctx, "tcp", s.addr.GRPC)
	if err != nil {
		return &UnreachableError{Address: s.addr.Raw, URL: "grpc://" + s.addr.GRPC, Err: err}
	}
	c.Close()
	return nil
}

func (s *Store) get(ctx context.Context, u string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	if s.key != "" {
		req.Header.Set("Authorization", "Bearer "+s.key)
	}
	return s.http.Do(req)
}

// wrap turns a client error into one that names the store and says what
// to do.
func (s *Store) wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	var ce *fault.WeaviateClientError
	if errors.As(err, &ce) && (ce.StatusCode == http.StatusUnauthorized || ce.StatusCode == http.StatusForbidden) {
		return &AuthError{Address: s.addr.Raw, Status: ce.StatusCode, HadKey: s.key != ""}
	}
	if st, ok := status.FromError(err); ok {
		switch st.Code() {
		case codes.Unauthenticated, codes.PermissionDenied:
			return &AuthError{Address: s.addr.Raw, Status: http.StatusUnauthorized, HadKey: s.key != ""}
		case codes.Unavailable, codes.DeadlineExceeded:
			return &UnreachableError{Address: s.addr.Raw, URL: "grpc://" + s.addr.GRPC, Err: err}
		}
	}
	return fmt.Errorf("weaviate: %s (store %s): %w", what, s.addr.Raw, err)
}

// ensureSchema checks (and, for a writer, creates) both collections.
func (s *Store) ensureSchema(ctx context.Context) error {
	papers, err := s.class(ctx, s.addr.Collection)
	if err != nil {
		return err
	}
	files, err := s.class(ctx, s.files)
	if err != nil {
		return err
	}
	if papers == nil || files == nil {
		if s.opts.ReadOnly {
			if papers == nil {
				return fmt.Errorf("collection %s does not exist at %s (store %s)%s: ingest into it first (`papermap ingest --store %s FILE`) or check its name: %w",
					s.addr.Collection, s.addr.restURL(), s.addr.Raw, s.listCollections(ctx), s.addr.Raw, ErrNoCollection)
			}
			return fmt.Errorf("collection %s at %s has no companion collection %s, so it was not made by papermap: use another collection name: %w",
				s.addr.Collection, s.addr.restURL(), s.files, ErrNoCollection)
		}
		if papers != nil && files == nil {
			return fmt.Errorf("collection %s at %s was not made by papermap (it has no companion collection %s): use another collection name",
				s.addr.Collection, s.addr.restURL(), s.files)
		}
		factor := s.opts.Replicas
		if factor <= 0 {
			n, err := s.nodeCount(ctx)
			if err != nil {
				return err
			}
			factor = min(3, n)
		}
		if files == nil {
			if err := s.client.Schema().ClassCreator().WithClass(s.filesClass(factor)).Do(ctx); err != nil {
				return s.wrap("create collection "+s.files, err)
			}
		}
		if err := s.client.Schema().ClassCreator().WithClass(s.papersClass(factor)).Do(ctx); err != nil {
			return s.wrap("create collection "+s.addr.Collection, err)
		}
		if papers, err = s.class(ctx, s.addr.Collection); err != nil {
			return err
		}
		if papers == nil {
			return fmt.Errorf("weaviate: collection %s at %s was created but cannot be read back", s.addr.Collection, s.addr.restURL())
		}
	}
	have := map[string]bool{}
	for _, p := range papers.Properties {
		have[p.Name] = true
	}
	for _, p := range []string{propID, propHash, propContent, propKV, propMeta} {
		if !have[p] {
			return fmt.Errorf("collection %s at %s was not made by papermap (it has no property %q): use another collection name",
				s.addr.Collection, s.addr.restURL(), p)
		}
	}
	s.hasTitle = have[propTitle]
	s.factor = 1
	if papers.ReplicationConfig != nil && papers.ReplicationConfig.Factor > 0 {
		s.factor = int(papers.ReplicationConfig.Factor)
	}
	s.nshards = 1
	if sc, ok := papers.ShardingConfig.(map[string]any); ok {
		if n, ok := sc["actualCount"].(float64); ok && n > 0 {
			s.nshards = int(n)
		}
	}
	return nil
}

// class returns the collection name, or nil when it does not exist.
func (s *Store) class(ctx context.Context, name string) (*models.Class, error) {
	c, err := s.client.Schema().ClassGetter().WithClassName(name).Do(ctx)
	if err != nil {
		var ce *fault.WeaviateClientError
		if errors.As(err, &ce) && ce.StatusCode == http.StatusNotFound {
			return nil, nil
		}
		return nil, s.wrap("read collection "+name, err)
	}
	return c, nil
}

// listCollections returns " (it has: A, B)" for messages, or "".
func (s *Store) listCollections(ctx context.Context) string {
	d, err := s.client.Schema().Getter().Do(ctx)
	if err != nil || d == nil {
		return ""
	}
	var names []string
	for _, c := range d.Classes {
		if !strings.HasSuffix(c.Class, filesSuffix) {
			names = append(names, c.Class)
		}
	}
	if len(names) == 0 {
		return " (it has no collections)"
	}
	slices.Sort(names)
	return " (it has: " + strings.Join(names, ", ") + ")"
}

func (s *Store) nodeCount(ctx context.Context) (int, error) {
	st, err := s.client.Cluster().NodesStatusGetter().Do(ctx)
	if err != nil {
		return 0, s.wrap("list nodes", err)
	}
	return max(1, len(st.Nodes)), nil
}

func replication(factor int) *models.ReplicationConfig {
	// Async replication lets a node that was down catch up with the writes
	// it missed, without waiting for reads to repair them.
	return &models.ReplicationConfig{Factor: int64(factor), AsyncEnabled: factor > 1}
}

func (s *Store) papersClass(factor int) *models.Class {
	f, t := false, true
	return &models.Class{
		Class:       s.addr.Collection,
		Description: "papermap papers (see github.com/papermap/papermap vectorstore/weaviate)",
		Vectorizer:  "none",
		VectorIndexConfig: map[string]any{
			"distance": "cosine", "ef": s.opts.Ef, "efConstruction": s.opts.EfConstruction, "maxConnections": s.opts.MaxConnections,
		},
		ReplicationConfig: replication(factor),
		ShardingConfig:    map[string]any{"desiredCount": 1},
		Properties: []*models.Property{
			{Name: propID, DataType: []string{"text"}, Tokenization: "field", IndexFilterable: &t, IndexSearchable: &f},
			{Name: propHash, DataType: []string{"text"}, Tokenization: "field", IndexFilterable: &f, IndexSearchable: &f},
			{Name: propContent, DataType: []string{"text"}, Tokenization: "word", IndexFilterable: &f, IndexSearchable: &t},
			{Name: propKV, DataType: []string{"text[]"}, Tokenization: "field", IndexFilterable: &t, IndexSearchable: &f},
			{Name: propMeta, DataType: []string{"text"}, Tokenization: "field", IndexFilterable: &f, IndexSearchable: &f},
			{Name: propTitle, DataType: []string{"text"}, Tokenization: "word", IndexFilterable: &f, IndexSearchable: &t},
		},
	}
}

func (s *Store) filesClass(factor int) *models.Class {
	f, t := false, true
	return &models.Class{
		Class:             s.files,
		Description:       "papermap store files of collection " + s.addr.Collection,
		Vectorizer:        "none",
		VectorIndexConfig: map[string]any{"skip": true},
		ReplicationConfig: replication(factor),
		ShardingConfig:    map[string]any{"desiredCount": 1},
		Properties: []*models.Property{
			{Name: propName, DataType: []string{"text"}, Tokenization: "field", IndexFilterable: &t, IndexSearchable: &f},
			{Name: propGen, DataType: []string{"text"}, Tokenization: "field", IndexFilterable: &t, IndexSearchable: &f},
			{Name: propPart, DataType: []string{"int"}, IndexFilterable: &t},
			{Name: propParts, DataType: []string{"int"}, IndexFilterable: &f},
			{Name: propData, DataType: []string{"blob"}},
		},
	}
}

// namespace makes object UUIDs: UUIDv5 of the paper ID (or file part), so
// that writing a paper again replaces its object.
var namespace = uuid.MustParse("6f1c2a52-93f4-4d0e-9b5e-2f4f8a7d1c33")

// PaperUUID returns the object UUID of paper id.
func PaperUUID(id string) string { return uuid.NewSHA1(namespace, []byte("paper\x00"+id)).String() }

func fileUUID(name, gen string, part int) string {
	return uuid.NewSHA1(namespace, fmt.Appendf(nil, "file\x00%s\x00%s\x00%d", name, gen, part)).String()
}

// loadRows reads every paper through the cursor API.
func (s *Store) loadRows(ctx context.Context) error {
	after := ""
	for {
		res, err := s.client.Experimental().Search().WithCollection(s.addr.Collection).
			WithLimit(1000).WithAfter(after).WithConsistencyLevel(s.level).
			WithProperties(propID, propHash, propContent, propMeta).
			WithMetadata(&graphql.Metadata{ID: true, Vector: true}).Do(ctx)
		if err != nil {
			return s.wrap("read the papers of "+s.addr.Collection, err)
		}
		for _, r := range res {
			id, _ := r.Properties[propID].(string)
			if id == "" {
				return fmt.Errorf("collection %s at %s holds object %s without a paper ID: it was not written by papermap", s.addr.Collection, s.addr.restURL(), r.ID)
			}
			vec := r.Vector
			if len(vec) == 0 {
				// Servers that name every vector send the unnamed one as "default".
				vec = r.Vectors["default"].GetVector()
			}
			rw := &row{content: str(r.Properties[propContent]), hash: str(r.Properties[propHash]), vec: vec}
			if m := str(r.Properties[propMeta]); m != "" {
				if err := json.Unmarshal([]byte(m), &rw.meta); err != nil {
					return fmt.Errorf("collection %s at %s: paper %s has damaged metadata: %v", s.addr.Collection, s.addr.restURL(), id, err)
				}
			}
			if s.dim == 0 {
				s.dim = len(vec)
			}
			if len(vec) != s.dim {
				return fmt.Errorf("collection %s at %s: paper %s has a %d-dim vector where others have %d", s.addr.Collection, s.addr.restURL(), id, len(vec), s.dim)
			}
			s.rows[id] = rw
		}
		if len(res) < 1000 {
			return nil
		}
		after = res[len(res)-1].ID
	}
}

func str(v any) string { s, _ := v.(string); return s }

// Dir returns the store address, as given.
func (s *Store) Dir() string { return s.addr.Raw }

// Close releases the connection. Weaviate keeps no lock: two writers on
// one collection are not kept apart (see the package documentation).
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

// Manifest returns the manifest kept with the collection.
func (s *Store) Manifest() (vectorstore.Manifest, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.manifest, s.hasManifest
}

func (s *Store) loadManifest(ctx context.Context) error {
	data, err := s.readFile(ctx, manifestFile)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var m vectorstore.Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return fmt.Errorf("the manifest of collection %s at %s is damaged (%v): ingest into a new collection", s.addr.Collection, s.addr.restURL(), err)
	}
	s.manifest, s.hasManifest, s.saved = m, true, true
	s.dim = m.Embedder.Dimensions
	return nil
}

// SetEmbedder records the embedder of the vectors, as on
// vectorstore.Store: a different one gets a *vectorstore.MismatchError;
// the manifest is written by the first Add that stores a paper.
func (s *Store) SetEmbedder(info embed.Info) error {
	if info.Backend == "" || info.Dimensions <= 0 {
		return fmt.Errorf("weaviate: embedder %+v has no backend or no dimensions", info)
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hasManifest {
		if s.manifest.Embedder != info {
			return &vectorstore.MismatchError{Dir: s.addr.Raw, Have: s.manifest.Embedder, Want: info}
		}
		return nil
	}
	if s.dim != 0 && s.dim != info.Dimensions {
		return &vectorstore.MismatchError{Dir: s.addr.Raw, Have: embed.Info{Dimensions: s.dim}, Want: info}
	}
	if err := s.writable(); err != nil {
		return err
	}
	now := time.Now().UTC()
	s.manifest = vectorstore.Manifest{Schema: 1, Embedder: info, Created: now, Updated: now}
	s.hasManifest = true
	s.dim = info.Dimensions
	return nil
}

// ForgetEmbedder undoes SetEmbedder on a collection that has stored no
// paper.
func (s *Store) ForgetEmbedder() error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.writable(); err != nil {
		return err
	}
	if s.saved || len(s.rows) > 0 {
		return fmt.Errorf("weaviate: forget the embedder of %s: the collection has stored papers", s.addr.Raw)
	}
	s.manifest, s.hasManifest, s.dim = vectorstore.Manifest{}, false, 0
	return nil
}

// writable says why the store cannot be written; the caller holds mu.
func (s *Store) writable() error {
	switch {
	case s.closed:
		return fmt.Errorf("weaviate: %s: %w", s.addr.Raw, vectorstore.ErrClosed)
	case s.opts.ReadOnly:
		return fmt.Errorf("weaviate: %s: %w", s.addr.Raw, vectorstore.ErrReadOnly)
	}
	return nil
}

// Len returns the number of papers.
func (s *Store) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.rows)
}

// IDs returns the paper IDs, sorted.
func (s *Store) IDs() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Sorted(maps.Keys(s.rows))
}

// Lookup returns the hash (vectorstore.HashRecord) of paper id.
func (s *Store) Lookup(id string) (string, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.rows[id]
	if !ok {
		return "", false
	}
	return r.hash, true
}

// Get returns a copy of paper id.
func (s *Store) Get(id string) (vectorstore.Record, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.rows[id]
	if !ok {
		return vectorstore.Record{}, false
	}
	return vectorstore.Record{ID: id, Content: r.content, Metadata: maps.Clone(r.meta), Embedding: slices.Clone(r.vec)}, true
}

// Fields returns the metadata keys with a non-empty value somewhere.
func (s *Store) Fields() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	seen := map[string]bool{}
	for _, r := range s.rows {
		for k, v := range r.meta {
			if v != "" {
				seen[k] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// Matrix returns every vector, rows in sorted ID order. The vectors were
// read through the cursor API at Open; cluster's k-means takes one
// matrix, so a Weaviate store holds them in memory as the local store does.
func (s *Store) Matrix() ([]string, []float32, int) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ids := slices.Sorted(maps.Keys(s.rows))
	vecs := make([]float32, len(ids)*s.dim)
	for i, id := range ids {
		copy(vecs[i*s.dim:(i+1)*s.dim], s.rows[id].vec)
	}
	return ids, vecs, s.dim
}

// Add writes records as objects whose UUID derives from the paper ID
// (PaperUUID), in batches at the store's consistency level: a record
// already stored with the same content and metadata is skipped, so an
// interrupted ingest is simply run again. Every record is checked (ID,
// dimension, unit norm) before anything is written. A batch that fails
// (a node lost, too few replicas for the level) stops Add with an error;
// the batches before it are stored.
func (s *Store) Add(ctx context.Context, recs []vectorstore.Record) (vectorstore.AddStats, error) {
	var st vectorstore.AddStats
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.mu.RLock()
	err := s.writable()
	has, dim, saved := s.hasManifest, s.dim, s.saved
	s.mu.RUnlock()
	if err != nil {
		return st, err
	}
	if !has {
		return st, fmt.Errorf("weaviate: add to %s: %w", s.addr.Raw, vectorstore.ErrNoEmbedder)
	}
	type todo struct {
		rec  *vectorstore.Record
		hash string
		vec  []float32
	}
	var work []todo
	seen := map[string]string{}
	for i := range recs {
		r := &recs[i]
		if r.ID == "" {
			return vectorstore.AddStats{}, errors.New("weaviate: a record has an empty ID")
		}
		if len(r.Embedding) != dim {
			return vectorstore.AddStats{}, fmt.Errorf("weaviate: record %q: its embedding has %d dimensions, the vectors of collection %s at %s have %d: nothing was written; ingest with the embedder the collection was made with, or into a new collection",
				r.ID, len(r.Embedding), s.addr.Collection, s.addr.restURL(), dim)
		}
		vec, err := unit(r.Embedding)
		if err != nil {
			return vectorstore.AddStats{}, fmt.Errorf("weaviate: record %q: %w", r.ID, err)
		}
		h := vectorstore.HashRecord(r.Content, r.Metadata)
		old, known := seen[r.ID]
		if !known {
			old, known = s.Lookup(r.ID)
		}
		switch {
		case known && old == h:
			st.Unchanged++
			continue
		case known:
			st.Updated++
		default:
			st.Added++
		}
		seen[r.ID] = h
		work = append(work, todo{r, h, vec})
	}
	if len(work) == 0 {
		return st, nil
	}
	if !saved {
		s.mu.RLock()
		m := s.manifest
		s.mu.RUnlock()
		data, err := json.MarshalIndent(m, "", "  ")
		if err != nil {
			return vectorstore.AddStats{}, fmt.Errorf("weaviate: encode manifest: %w", err)
		}
		if err := s.writeFile(ctx, manifestFile, append(data, '\n')); err != nil {
			return vectorstore.AddStats{}, err
		}
		s.mu.Lock()
		s.saved = true
		s.mu.Unlock()
	}
	// Up to InFlight batches at once, so that the server indexes one
	// while the next is encoded and sent. After a batch fails no new one
	// starts; those already sent finish.
	var (
		wg       sync.WaitGroup
		sem      = make(chan struct{}, s.opts.InFlight)
		emu      sync.Mutex
		firstErr error
		errAt    = len(work)
		written  int
	)
	for start := 0; start < len(work); start += s.opts.BatchSize {
		emu.Lock()
		failed := firstErr != nil
		emu.Unlock()
		if failed {
			break
		}
		if err := ctx.Err(); err != nil {
			emu.Lock()
			firstErr, errAt = err, start
			emu.Unlock()
			break
		}
		part := work[start:min(start+s.opts.BatchSize, len(work))]
		objs := make([]*models.Object, len(part))
		for i, w := range part {
			meta, _ := json.Marshal(w.rec.Metadata)
			kv := []string{}
			for _, k := range slices.Sorted(maps.Keys(w.rec.Metadata)) {
				if v := w.rec.Metadata[k]; v != "" {
					kv = append(kv, k+"="+v)
				}
			}
			props := map[string]any{
				propID: w.rec.ID, propHash: w.hash, propContent: w.rec.Content,
				propKV: kv, propMeta: string(meta),
			}
			if s.hasTitle {
				props[propTitle] = w.rec.Metadata[metaTitle]
			}
			objs[i] = &models.Object{
				Class:      s.addr.Collection,
				ID:         strfmtUUID(PaperUUID(w.rec.ID)),
				Properties: props,
				Vector:     w.vec,
			}
		}
		sem <- struct{}{}
		wg.Add(1)
		go func(start int) {
			defer wg.Done()
			defer func() { <-sem }()
			if err := s.batch(ctx, objs); err != nil {
				emu.Lock()
				if start < errAt {
					firstErr, errAt = err, start
				}
				emu.Unlock()
				return
			}
			s.mu.Lock()
			for _, w := range part {
				s.rows[w.rec.ID] = &row{hash: w.hash, content: w.rec.Content, meta: maps.Clone(w.rec.Metadata), vec: w.vec}
			}
			s.mu.Unlock()
			emu.Lock()
			written += len(part)
			emu.Unlock()
		}(start)
	}
	wg.Wait()
	if firstErr != nil {
		return st, fmt.Errorf("%w (%d of the %d papers to write are stored: run the ingest again to store the rest)", firstErr, written, len(work))
	}
	return st, nil
}

// batchRetries is how many times a batch is sent again after a transient
// failure (transient), after 1, 2 and 4 s.
const batchRetries = 3

// transientWrite matches Weaviate's per-object errors that a retry may
// cure: a replica that did not answer in time on a loaded cluster
// ("...:commit?...: net/http: timeout awaiting response headers"), a node
// being lost or restarted, too few replicas for the level for a moment.
var transientWrite = regexp.MustCompile(`timeout|deadline exceeded|connection refused|connect:|broken pipe|EOF|cannot achieve consistency level|context canceled by peer`)

// batch writes objects at the store's level and checks each answer. The
// objects whose write failed transiently (the whole request, or objects
// whose error transientWrite matches) are sent again, up to batchRetries
// times: each write replaces the whole object, so a repeat is harmless.
func (s *Store) batch(ctx context.Context, objs []*models.Object) error {
	wait := time.Second
	for attempt := 0; ; attempt++ {
		failed, err := s.batchOnce(ctx, objs)
		if err == nil {
			return nil
		}
		if len(failed) == 0 || attempt == batchRetries || ctx.Err() != nil {
			if attempt > 0 {
				return fmt.Errorf("%w (after %d retries)", err, attempt)
			}
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait *= 2
		objs = failed
	}
}

// batchOnce sends one batch. On an error it returns the objects worth
// sending again (none when the failure is not transient).
func (s *Store) batchOnce(ctx context.Context, objs []*models.Object) ([]*models.Object, error) {
	res, err := s.client.Batch().ObjectsBatcher().WithObjects(objs...).WithConsistencyLevel(s.level).Do(ctx)
	if err != nil {
		err = s.wrap("write a batch", err)
		var ue *UnreachableError
		if errors.As(err, &ue) || transientWrite.MatchString(err.Error()) {
			return objs, err
		}
		return nil, err
	}
	var failed []*models.Object
	var first error
	for _, r := range res {
		if r.Result == nil || r.Result.Errors == nil || len(r.Result.Errors.Error) == 0 {
			continue
		}
		msg := r.Result.Errors.Error[0].Message
		if first == nil {
			first = fmt.Errorf("weaviate: write to %s at consistency %s failed for object %s: %s", s.addr.Raw, s.level, r.ID, msg)
		}
		i := slices.IndexFunc(objs, func(o *models.Object) bool { return o.ID == r.ID })
		if !transientWrite.MatchString(msg) || i < 0 {
			return nil, first
		}
		failed = append(failed, objs[i])
	}
	return failed, first
}

// unit returns v scaled to norm 1, refusing zero, non-finite or
// non-unit vectors as vectorstore.Store does.
func unit(v []float32) ([]float32, error) {
	var ss float64
	for _, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return nil, errors.New("embedding is not finite")
		}
		ss += float64(x) * float64(x)
	}
	norm := math.Sqrt(ss)
	if d := norm - 1; d > embed.NormTolerance || d < -embed.NormTolerance {
		return nil, fmt.Errorf("embedding has norm %g, not 1 (tolerance %g): embedders return unit vectors", norm, embed.NormTolerance)
	}
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(float64(x) / norm)
	}
	return out, nil
}

// Query returns the k papers nearest q by Weaviate's HNSW index, best
// first; see QueryBatch.
func (s *Store) Query(ctx context.Context, q []float32, k int, opts vectorstore.QueryOptions) ([]vectorstore.Hit, error) {
	hits, err := s.QueryBatch(ctx, [][]float32{q}, k, opts)
	if err != nil {
		return nil, err
	}
	return hits[0], nil
}

// QueryBatch runs one nearVector search per query at the store's
// consistency level. Scores are cosine similarities (1 - Weaviate's cosine
// distance). Before and after the searches it checks that every shard of
// the collection has the replicas the level needs on healthy nodes: if
// not, the answer could be partial and a *PartialError is returned
// instead.
func (s *Store) QueryBatch(ctx context.Context, qs [][]float32, k int, opts vectorstore.QueryOptions) ([][]vectorstore.Hit, error) {
	if k <= 0 {
		return make([][]vectorstore.Hit, len(qs)), nil
	}
	where, err := whereOf(opts.Where)
	if err != nil {
		return nil, fmt.Errorf("weaviate: %s: %w", s.addr.Raw, err)
	}
	for _, q := range qs {
		if err := s.checkQuery(q); err != nil {
			return nil, err
		}
	}
	if err := s.CheckComplete(ctx); err != nil {
		return nil, err
	}
	exclude := map[string]bool{}
	for _, id := range opts.Exclude {
		exclude[id] = true
	}
	out := make([][]vectorstore.Hit, len(qs))
	md := &graphql.Metadata{ID: true, Distance: true}
	score := func(m graphql.MetadataResult) float32 { return 1 - m.Distance }
	for i, q := range qs {
		near := (&graphql.NearVectorArgumentBuilder{}).WithVector(q)
		out[i], err = s.search(ctx, k, where, exclude, md, score, func(x *graphql.Search) *graphql.Search { return x.WithNearVector(near) })
		if err != nil {
			return nil, err
		}
	}
	if err := s.CheckComplete(ctx); err != nil {
		return nil, err
	}
	return out, nil
}

// checkQuery refuses a query vector of another dimension than the
// collection's.
func (s *Store) checkQuery(q []float32) error {
	if len(q) != s.dim {
		return fmt.Errorf("weaviate: the query vector has %d dimensions, the vectors of collection %s at %s have %d: search with the embedder the collection was made with (papermap info --store %s)",
			len(q), s.addr.Collection, s.addr.restURL(), s.dim, s.addr.Raw)
	}
	return nil
}

// search runs one search that with sets up, filtered by where, and
// returns its k best hits but those in exclude, with the scores score
// takes from the metadata md asks for.
func (s *Store) search(ctx context.Context, k int, where *filters.WhereBuilder, exclude map[string]bool,
	md *graphql.Metadata, score func(graphql.MetadataResult) float32, with func(*graphql.Search) *graphql.Search) ([]vectorstore.Hit, error) {
	srch := s.client.Experimental().Search().WithCollection(s.addr.Collection).
		WithLimit(k + len(exclude)).WithConsistencyLevel(s.level).
		WithProperties(propID).WithMetadata(md)
	if where != nil {
		srch = srch.WithWhere(where)
	}
	res, err := with(srch).Do(ctx)
	if err != nil {
		return nil, s.wrap("search "+s.addr.Collection, err)
	}
	hits := make([]vectorstore.Hit, 0, k)
	for _, r := range res {
		id := str(r.Properties[propID])
		if exclude[id] {
			continue
		}
		if len(hits) == k {
			break
		}
		hits = append(hits, vectorstore.Hit{ID: id, Score: score(r.Metadata)})
	}
	return hits, nil
}

// whereOf turns a metadata filter into a Weaviate filter on the kv
// property.
func whereOf(f vectorstore.Filter) (*filters.WhereBuilder, error) {
	if len(f) == 0 {
		return nil, nil
	}
	var ops []*filters.WhereBuilder
	for _, k := range slices.Sorted(maps.Keys(f)) {
		if f[k] == "" {
			return nil, fmt.Errorf("a filter on an empty value (%s=) is not supported on a Weaviate store", k)
		}
		ops = append(ops, filters.Where().WithPath([]string{propKV}).WithOperator(filters.ContainsAny).WithValueText(k+"="+f[k]))
	}
	if len(ops) == 1 {
		return ops[0], nil
	}
	return filters.Where().WithOperator(filters.And).WithOperands(ops), nil
}

// CheckComplete returns a *PartialError when some shard of the collection
// has fewer replicas on nodes that answer than the store's consistency level
// needs (QUORUM: a majority of the replication factor; ONE: one; ALL:
// all), so that a search could miss its papers.
//
// It asks the cluster (/v1/nodes?output=verbose) which node that answers
// holds which shard. For some seconds after a node is lost, until the
// cluster's membership drops it, that call fails naming the node it cannot
// reach: the node then counts as down, and the shards' holders are the
// others of the last call that succeeded. A cluster that looks
// short of replicas is asked again three times over 1.75 s before the
// answer is called partial: while a node is being lost, the coordinator
// can report another one as timed out for a moment.
func (s *Store) CheckComplete(ctx context.Context) error {
	err := s.checkOnce(ctx)
	for _, wait := range []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second} {
		var pe *PartialError
		if !errors.As(err, &pe) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		err = s.checkOnce(ctx)
	}
	return err
}

// checkOnce is one CheckComplete call to /v1/nodes.
func (s *Store) checkOnce(ctx context.Context) error {
	st, err := s.client.Cluster().NodesStatusGetter().WithClass(s.addr.Collection).WithOutput("verbose").Do(ctx)
	holders := map[string][]string{}
	if err != nil {
		down := unreachableNodes(err)
		if len(down) == 0 {
			return s.wrap("read the cluster's state", err)
		}
		s.mu.RLock()
		for shard, nodes := range s.holders {
			for _, n := range nodes {
				if !slices.Contains(down, n) {
					holders[shard] = append(holders[shard], n)
				}
			}
		}
		s.mu.RUnlock()
	} else {
		known := map[string][]string{}
		for _, n := range st.Nodes {
			// A node that answered lists its shards, whatever its
			// status: UNHEALTHY only says that its memberlist health
			// score is above 0 (Weaviate 1.35, adapters/repos/db/nodes.go),
			// as it is on a node for a while after a peer is lost, and
			// such a node serves searches. A node that did not answer
			// (UNAVAILABLE, TIMEOUT) lists no shard and is not counted
			// now; one that was only slow (TIMEOUT) is remembered as
			// holding its shards, for the calls that fail naming
			// another node.
			for _, sh := range n.Shards {
				if sh.Class == s.addr.Collection {
					holders[sh.Name] = append(holders[sh.Name], n.Name)
					known[sh.Name] = append(known[sh.Name], n.Name)
				}
			}
			if n.Status != nil && *n.Status == models.NodeStatusStatusTIMEOUT {
				s.mu.RLock()
				for shard, nodes := range s.holders {
					if slices.Contains(nodes, n.Name) {
						known[shard] = append(known[shard], n.Name)
					}
				}
				s.mu.RUnlock()
			}
		}
		s.mu.Lock()
		s.holders = known
		s.mu.Unlock()
	}
	need := 1
	switch s.level {
	case Quorum:
		need = s.factor/2 + 1
	case All:
		need = s.factor
	}
	var missing []string
	for _, name := range slices.Sorted(maps.Keys(holders)) {
		if len(holders[name]) < need {
			up := slices.Sorted(slices.Values(holders[name]))
			missing = append(missing, fmt.Sprintf("shard %s: %d of %d replicas up (%s)", name, len(up), s.factor, strings.Join(up, ", ")))
		}
	}
	if len(holders) < s.nshards {
		missing = append(missing, fmt.Sprintf("%d of %d shards on no node that answers", s.nshards-len(holders), s.nshards))
	}
	if len(missing) > 0 {
		return &PartialError{Address: s.addr.Raw, Consistency: s.level, Missing: missing}
	}
	return nil
}

// unreachableNode finds, in the error of /v1/nodes, each node the
// coordinator could not reach ("node: node2: send http request: ...",
// "node: node1: resolve node name ...").
var unreachableNode = regexp.MustCompile(`node: ([A-Za-z0-9_.-]+): (?:send http request|resolve node name)`)

func unreachableNodes(err error) []string {
	var out []string
	for _, m := range unreachableNode.FindAllStringSubmatch(err.Error(), -1) {
		out = append(out, m[1])
	}
	return out
}

// SetEf changes the HNSW search list size (ef) of the collection: larger
// is slower and finds more of the true nearest neighbours. It applies to
// every client of the collection.
func (s *Store) SetEf(ctx context.Context, ef int) error {
	if ef <= 0 {
		return fmt.Errorf("weaviate: ef %d is not positive", ef)
	}
	s.mu.RLock()
	err := s.writable()
	s.mu.RUnlock()
	if err != nil {
		return err
	}
	c, err := s.class(ctx, s.addr.Collection)
	if err != nil {
		return err
	}
	if c == nil {
		return fmt.Errorf("weaviate: collection %s at %s is gone", s.addr.Collection, s.addr.restURL())
	}
	cfg, ok := c.VectorIndexConfig.(map[string]any)
	if !ok {
		return fmt.Errorf("weaviate: collection %s at %s has no vector index settings", s.addr.Collection, s.addr.restURL())
	}
	cfg["ef"] = ef
	c.VectorIndexConfig = cfg
	return s.wrap("set ef of "+s.addr.Collection, s.client.Schema().ClassUpdater().WithClass(c).Do(ctx))
}
