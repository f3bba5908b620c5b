package vectorstore

import (
	"context"

	"github.com/papermap/papermap/embed"
)

// Backend is what a corpus needs of a store. *Store, papermap's own store
// in a directory, has it; so does the Weaviate store of package
// vectorstore/weaviate, which keeps the same records in a Weaviate
// collection. The methods mean what they mean on *Store.
//
// Backend holds only what both can do: exporting to chromem-go and the
// atomic replacement behind reindex are *Store's alone (callers ask with a
// type assertion).
type Backend interface {
	// Dir names the store in messages: its directory, or its address.
	Dir() string
	Close() error

	Manifest() (m Manifest, ok bool)
	SetEmbedder(info embed.Info) error
	ForgetEmbedder() error

	Len() int
	IDs() []string
	Lookup(id string) (hash string, ok bool)
	Get(id string) (Record, bool)
	Fields() []string
	Matrix() (ids []string, vectors []float32, dim int)

	Add(ctx context.Context, recs []Record) (AddStats, error)
	Query(ctx context.Context, q []float32, k int, opts QueryOptions) ([]Hit, error)
	QueryBatch(ctx context.Context, qs [][]float32, k int, opts QueryOptions) ([][]Hit, error)

	ReadFile(name string) ([]byte, error)
	WriteFile(name string, data []byte) error
	RemoveFile(name string) error
}

var _ Backend = (*Store)(nil)

// CacheWriter is what a reader asks of a Backend (by a type assertion) to
// save data it derived and any reader could derive again, such as a map's
// layout, without being a writer: see Store.WriteCache.
type CacheWriter interface {
	WriteCache(name string, data []byte) (written bool, err error)
}

var _ CacheWriter = (*Store)(nil)
