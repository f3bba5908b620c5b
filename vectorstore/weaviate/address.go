package weaviate

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// Scheme starts every Weaviate store address.
const Scheme = "weaviate://"

// DefaultGRPCPort is the gRPC port of an address without ?grpc=.
const DefaultGRPCPort = 50051

// Consistency levels of Weaviate's replication: how many replicas of a
// shard must answer a read or acknowledge a write.
const (
	One    = "ONE"
	Quorum = "QUORUM"
	All    = "ALL"
)

// Address is a parsed store address
//
//	weaviate://HOST:PORT/COLLECTION[?grpc=PORT][&consistency=ONE|QUORUM|ALL][&tls=1]
//
// HOST:PORT is Weaviate's REST port; the gRPC port (default 50051) is on
// the same host.
type Address struct {
	Raw         string // as given, for messages
	Host        string // host:port of the REST API
	GRPC        string // host:port of the gRPC API
	Collection  string // the papers' collection, first letter upper-case as Weaviate keeps it
	Consistency string // "" when the address does not say
	TLS         bool
}

// IsAddress reports whether s is a Weaviate store address rather than a
// directory.
func IsAddress(s string) bool { return strings.HasPrefix(s, Scheme) }

// ParseAddress parses a store address (see Address). Errors name the
// address and what is wrong with it.
func ParseAddress(s string) (Address, error) {
	a := Address{Raw: s}
	bad := func(why string) (Address, error) {
		return Address{}, fmt.Errorf("store address %q: %s (want weaviate://HOST:PORT/COLLECTION[?grpc=PORT])", s, why)
	}
	if !IsAddress(s) {
		return bad("it does not start with " + Scheme)
	}
	u, err := url.Parse(s)
	if err != nil {
		return bad(err.Error())
	}
	if u.User != nil {
		return bad("it holds a user or password: give the API key in WEAVIATE_API_KEY")
	}
	host, port, err := net.SplitHostPort(u.Host)
	if err != nil || host == "" {
		return bad("no HOST:PORT")
	}
	if p, err := strconv.Atoi(port); err != nil || p <= 0 || p > 65535 {
		return bad("port " + strconv.Quote(port) + " is not a port number")
	}
	a.Host = u.Host
	coll := strings.Trim(u.Path, "/")
	if coll == "" {
		return bad("no collection name")
	}
	if err := checkCollection(coll); err != nil {
		return bad(err.Error())
	}
	a.Collection = strings.ToUpper(coll[:1]) + coll[1:]
	gport := strconv.Itoa(DefaultGRPCPort)
	q := u.Query()
	for k := range q {
		switch k {
		case "grpc", "consistency", "tls":
		default:
			return bad("unknown parameter " + strconv.Quote(k))
		}
	}
	if g := q.Get("grpc"); g != "" {
		if p, err := strconv.Atoi(g); err != nil || p <= 0 || p > 65535 {
			return bad("grpc=" + g + " is not a port number")
		}
		gport = g
	}
	a.GRPC = net.JoinHostPort(host, gport)
	if c := q.Get("consistency"); c != "" {
		c = strings.ToUpper(c)
		if c != One && c != Quorum && c != All {
			return bad("consistency=" + q.Get("consistency") + " is none of ONE, QUORUM, ALL")
		}
		a.Consistency = c
	}
	switch q.Get("tls") {
	case "", "0", "false":
	case "1", "true":
		a.TLS = true
	default:
		return bad("tls=" + q.Get("tls") + " is neither 1 nor 0")
	}
	return a, nil
}

// checkCollection checks a collection name: letters, digits and '_',
// starting with a letter (Weaviate's rule for class names).
func checkCollection(name string) error {
	for i, r := range name {
		switch {
		case r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z':
		case i > 0 && (r >= '0' && r <= '9' || r == '_'):
		default:
			return fmt.Errorf("collection name %q must be letters, digits and '_', starting with a letter", name)
		}
	}
	return nil
}

// scheme is the URL scheme of the REST API.
func (a Address) scheme() string {
	if a.TLS {
		return "https"
	}
	return "http"
}

// restURL is the REST API's base URL, for messages.
func (a Address) restURL() string { return a.scheme() + "://" + a.Host }
