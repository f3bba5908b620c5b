package ollama

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
)

// defaultAddr and defaultPort are where `ollama serve` listens unless told
// otherwise (see DefaultHost).
const (
	defaultAddr = "127.0.0.1"
	defaultPort = "11434"
)

// ollamaHostFromEnv returns the host OLLAMA_HOST names, or the default
// http://127.0.0.1:11434.
func ollamaHostFromEnv() (*url.URL, error) {
	u, err := parseOllamaHost(os.Getenv(HostEnv))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", HostEnv, err)
	}
	return u, nil
}

// parseOllamaHost reads a host the way Ollama's own client reads
// OLLAMA_HOST (envconfig.Host in github.com/ollama/ollama): surrounding
// spaces and quotes are dropped; no scheme means http; a missing port is
// 11434 without a scheme, 80 with http:// and 443 with https://; a missing
// host is 127.0.0.1; a path is kept; the bare name "ollama.com" means
// https://ollama.com:443.
//
// Where envconfig would quietly fall back to a default (a port that is not a
// number, or a scheme other than http and https) this returns an error, since
// a mistyped --ollama-host should be reported, not replaced.
func parseOllamaHost(s string) (*url.URL, error) {
	s = strings.Trim(strings.TrimSpace(s), "\"'")
	defaultPort := defaultPort
	scheme, hostport, ok := strings.Cut(s, "://")
	switch {
	case !ok:
		scheme, hostport = "http", s
		if s == "ollama.com" {
			scheme, hostport = "https", "ollama.com:443"
		}
	case scheme == "http":
		defaultPort = "80"
	case scheme == "https":
		defaultPort = "443"
	default:
		return nil, fmt.Errorf("ollama host %q: scheme must be http or https", s)
	}

	hostport, path, _ := strings.Cut(hostport, "/")
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		host, port = defaultAddr, defaultPort
		if ip := net.ParseIP(strings.Trim(hostport, "[]")); ip != nil {
			host = ip.String()
		} else if hostport != "" {
			host = hostport
		}
	}
	if n, err := strconv.ParseInt(port, 10, 32); err != nil || n > 65535 || n < 0 {
		return nil, fmt.Errorf("ollama host %q: invalid port %q", s, port)
	}
	return &url.URL{
		Scheme: scheme,
		Host:   net.JoinHostPort(host, port),
		Path:   path,
	}, nil
}

// ollamaHostURLs resolves Options.Hosts: nil or empty means
// OLLAMA_HOST; duplicates (after parsing) are dropped, so that the same
// server named twice does not get twice the requests.
func ollamaHostURLs(hosts []string) ([]*url.URL, error) {
	if len(hosts) == 0 {
		u, err := ollamaHostFromEnv()
		if err != nil {
			return nil, fmt.Errorf("ollama: %w", err)
		}
		return []*url.URL{u}, nil
	}
	seen := make(map[string]bool, len(hosts))
	var urls []*url.URL
	for _, h := range hosts {
		u, err := parseOllamaHost(h)
		if err != nil {
			return nil, fmt.Errorf("ollama: %w", err)
		}
		if seen[u.String()] {
			continue
		}
		seen[u.String()] = true
		urls = append(urls, u)
	}
	return urls, nil
}
