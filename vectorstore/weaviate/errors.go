package weaviate

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNoCollection is matched (errors.Is) by the error of a read-only Open
// of a collection that does not exist.
var ErrNoCollection = errors.New("no such collection")

// UnreachableError says that Weaviate did not answer at an address.
type UnreachableError struct {
	Address string // the store address
	URL     string // what was called
	Err     error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("cannot reach Weaviate at %s (store %s): %v: is weaviate-server running there, and are the REST and gRPC ports (?grpc=PORT) right?",
		e.URL, e.Address, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// AuthError says that Weaviate refused the request for want of a valid
// API key.
type AuthError struct {
	Address string
	Status  int
	HadKey  bool // WEAVIATE_API_KEY (or Options.APIKey) was given
}

func (e *AuthError) Error() string {
	if !e.HadKey {
		return fmt.Sprintf("Weaviate at %s requires an API key (HTTP %d): set WEAVIATE_API_KEY to a key it accepts", e.Address, e.Status)
	}
	return fmt.Sprintf("Weaviate at %s refused the API key in WEAVIATE_API_KEY (HTTP %d): check the key and its permissions on the collection", e.Address, e.Status)
}

// PartialError says that a query could not be answered by every shard at
// the consistency level asked for: its answer would be partial, so none is
// given.
type PartialError struct {
	Address     string
	Consistency string
	Missing     []string // "shard S: 1 of 3 replicas up (node0)"
}

func (e *PartialError) Error() string {
	return fmt.Sprintf("Weaviate at %s cannot answer from every shard at consistency %s (%s): the results would be partial, so none are given; wait for the nodes to come back (or read at ?consistency=ONE)",
		e.Address, e.Consistency, strings.Join(e.Missing, "; "))
}
