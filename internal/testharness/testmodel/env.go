package testmodel

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ollama/ollama/api"
)

// EnvHost is the environment variable that holds the URL of the default test
// server, as scripts/ollama-test-server prints it:
//
//	OLLAMA_TEST_HOST=http://127.0.0.1:PORT
const EnvHost = "OLLAMA_TEST_HOST"

// HostEnv returns the environment variable of the test server started with
// "scripts/ollama-test-server start --name NAME": EnvHost for "" and
// "default", EnvHost + "_" + NAME upper-cased otherwise, with every byte that
// is not a letter or digit replaced by "_" (OLLAMA_TEST_HOST_B for "b").
func HostEnv(name string) string {
	if name == "" || name == "default" {
		return EnvHost
	}
	var b strings.Builder
	b.WriteString(EnvHost + "_")
	for _, c := range []byte(strings.ToUpper(name)) {
		if ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9') {
			b.WriteByte(c)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// Host returns the URL of the named test server from the environment, and
// false when its variable is unset or empty.
func Host(name string) (*url.URL, bool) {
	v := os.Getenv(HostEnv(name))
	if v == "" {
		return nil, false
	}
	u, err := url.Parse(v)
	if err != nil || u.Host == "" {
		return nil, false
	}
	return u, true
}

// EnvRequire is the environment variable that, set to 1 (as .ci/run sets
// it), makes a test that needs a test server fail rather than skip when
// the server's variable is unset.
const EnvRequire = "PAPERMAP_OLLAMA_TESTS"

// Server returns the URL of the named test server ("" for the default
// one). It skips the test when the server's variable is unset, unless
// EnvRequire is 1, and fails it when the server does not answer.
func Server(tb testing.TB, name string) string {
	tb.Helper()
	u, ok := Host(name)
	if !ok {
		if os.Getenv(EnvRequire) == "1" {
			tb.Fatalf("%s=1 but %s is not set: start the server with `export $(scripts/ollama-test-server start)`", EnvRequire, HostEnv(name))
		}
		tb.Skipf("%s is not set: run `export $(scripts/ollama-test-server start)` for tests against a real Ollama server", HostEnv(name))
	}
	Client(tb, name) // fails the test if the server does not answer
	return u.String()
}

// Client returns a client of the named test server ("" for the default
// one). It skips the test when the server's variable is not set, and fails
// it when the variable is set but the server does not answer: a test run
// that was given a server should not pass by skipping.
func Client(tb testing.TB, name string) *api.Client {
	tb.Helper()
	u, ok := Host(name)
	if !ok {
		tb.Skipf("%s is not set: run `export $(scripts/ollama-test-server start)` for tests against a real Ollama server", HostEnv(name))
	}
	c := api.NewClient(u, http.DefaultClient)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.Version(ctx); err != nil {
		tb.Fatalf("%s=%s does not answer: %v", HostEnv(name), u, err)
	}
	return c
}
