package ollama

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net"
	"net/url"
	"reflect"
	"syscall"
	"testing"
	"time"

	"github.com/ollama/ollama/api"
	"github.com/ollama/ollama/envconfig"
)

func TestParseOllamaHost(t *testing.T) {
	// Expected values are what envconfig.Host (Ollama v0.17.4) gives for the
	// same OLLAMA_HOST; the test checks both.
	for _, tc := range []struct {
		in, want string
	}{
		{"", "http://127.0.0.1:11434"},
		{"   ", "http://127.0.0.1:11434"},
		{"1.2.3.4", "http://1.2.3.4:11434"},
		{":1234", "http://:1234"},
		{"1.2.3.4:1234", "http://1.2.3.4:1234"},
		{"example.com", "http://example.com:11434"},
		{"example.com:1234", "http://example.com:1234"},
		{"http://1.2.3.4", "http://1.2.3.4:80"},
		{"http://1.2.3.4:1234", "http://1.2.3.4:1234"},
		{"https://1.2.3.4", "https://1.2.3.4:443"},
		{"https://example.com:1234", "https://example.com:1234"},
		{"[0::1]", "http://[::1]:11434"},
		{"[0::1]:1234", "http://[0::1]:1234"},
		{"http://[0::1]:1234", "http://[0::1]:1234"},
		{`"1.2.3.4:1234"`, "http://1.2.3.4:1234"},
		{"'example.com'", "http://example.com:11434"},
		{"example.com/path", "http://example.com:11434/path"},
		{"https://example.com:1234/path/", "https://example.com:1234/path/"},
		{"ollama.com", "https://ollama.com:443"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			u, err := parseOllamaHost(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := u.String(); got != tc.want {
				t.Errorf("parseOllamaHost(%q) = %s, want %s", tc.in, got, tc.want)
			}
			t.Setenv("OLLAMA_HOST", tc.in)
			if ref := envconfig.Host().String(); ref != u.String() {
				t.Errorf("envconfig.Host() = %s, parseOllamaHost = %s", ref, u)
			}
			env, err := ollamaHostFromEnv()
			if err != nil || env.String() != tc.want {
				t.Errorf("ollamaHostFromEnv() = %v, %v; want %s", env, err, tc.want)
			}
		})
	}
	for _, in := range []string{"example.com:port", "example.com:99999", "ftp://example.com", "unix:///tmp/ollama.sock"} {
		t.Run("bad "+in, func(t *testing.T) {
			if u, err := parseOllamaHost(in); err == nil {
				t.Errorf("parseOllamaHost(%q) = %v, want an error", in, u)
			}
		})
	}
}

func TestOllamaUnitVector(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	for _, tc := range []struct {
		name string
		in   []float32
		dims int
		want []float32 // nil: unusable
	}{
		// 3-4-5 triangle, by hand.
		{"3 4 0", []float32{3, 4, 0}, 3, []float32{0.6, 0.8, 0}},
		{"already unit", []float32{0, -1}, 2, []float32{0, -1}},
		// Squares overflow float32 (max 3.4e38) but not float64.
		{"huge", []float32{3e30, 4e30}, 2, []float32{0.6, 0.8}},
		{"tiny", []float32{3e-30, 4e-30}, 2, []float32{0.6, 0.8}},
		{"NaN", []float32{nan, 1}, 2, nil},
		{"Inf", []float32{1, -inf}, 2, nil},
		{"zero", []float32{0, 0, 0}, 3, nil},
		{"short", []float32{1, 2}, 3, nil},
		{"long", []float32{1, 2, 3, 4}, 3, nil},
		{"empty", []float32{}, 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := append([]float32(nil), tc.in...)
			reason := ollamaUnitVector(v, tc.dims)
			if tc.want == nil {
				if reason == "" {
					t.Errorf("accepted %v", tc.in)
				}
				return
			}
			if reason != "" {
				t.Fatalf("rejected %v: %s", tc.in, reason)
			}
			for j := range v {
				if math.Abs(float64(v[j]-tc.want[j])) > 1e-7 {
					t.Errorf("got %v, want %v", v, tc.want)
				}
			}
		})
	}
}

func TestOllamaBackoff(t *testing.T) {
	newO := func(seed uint64) *Client {
		opts, err := Options{RetryDelay: 100 * time.Millisecond, MaxRetryDelay: time.Second, Seed: seed}.withDefaults()
		if err != nil {
			t.Fatal(err)
		}
		o := &Client{opts: opts}
		o.jitter = newOllamaJitter(seed)
		return o
	}
	a, b := newO(42), newO(42)
	for n := 1; n <= 8; n++ {
		// RetryDelay doubled n-1 times, capped at MaxRetryDelay.
		d := min(100*time.Millisecond<<(n-1), time.Second)
		got := a.backoff(n)
		if got < d/2 || got > d {
			t.Errorf("backoff(%d) = %v, want within [%v, %v]", n, got, d/2, d)
		}
		if again := b.backoff(n); again != got {
			t.Errorf("backoff(%d) with the same seed: %v then %v", n, got, again)
		}
	}
}

func TestClassifyOllamaError(t *testing.T) {
	h := &ollamaHost{url: "http://127.0.0.1:11434"}
	dial := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	for _, tc := range []struct {
		name string
		err  error // as returned by api.Client; passed through describe
		want failureKind
	}{
		{"400", api.StatusError{StatusCode: 400, ErrorMessage: "invalid input type"}, failPermanent},
		{"404 model", api.StatusError{StatusCode: 404, ErrorMessage: `model "x" not found, try pulling it first`}, failPermanent},
		{"404 no endpoint", api.StatusError{StatusCode: 404, ErrorMessage: "404 page not found"}, failPermanent},
		{"401", api.AuthorizationError{StatusCode: 401}, failPermanent},
		{"429", api.StatusError{StatusCode: 429}, failTransient},
		{"500", api.StatusError{StatusCode: 500, ErrorMessage: "failed to generate embeddings"}, failTransient},
		{"503", api.StatusError{StatusCode: 503, ErrorMessage: "server busy"}, failTransient},
		// Ollama 0.6.5's answer when its runner dies (ollama/ollama#7288).
		{"runner crash", api.StatusError{StatusCode: 500, ErrorMessage: `do embedding request: Post "http://127.0.0.1:42789/embedding": EOF`}, failCrash},
		{"connection refused", &url.Error{Op: "Post", URL: "http://127.0.0.1:11434/api/embed", Err: dial}, failUnreached},
		{"no such host", &url.Error{Op: "Post", Err: &net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", IsNotFound: true}}}, failUnreached},
		{"reset", &net.OpError{Op: "read", Err: syscall.ECONNRESET}, failTransient},
		{"EOF mid-body", io.ErrUnexpectedEOF, failTransient},
		{"EOF before answer", &url.Error{Op: "Post", Err: io.EOF}, failTransient},
		{"server closed idle connection", errors.New("http: server closed idle connection"), failTransient},
		{"connection timeout", &url.Error{Op: "Post", Err: context.DeadlineExceeded}, failTransient},
		{"RequestTimeout", &ollamaTimeoutError{limit: time.Minute, err: &url.Error{Op: "Post", Err: context.DeadlineExceeded}}, failTimeout},
		{"truncated JSON", &json.SyntaxError{Offset: 20}, failBad},
		{"wrong JSON type", &json.UnmarshalTypeError{Value: "string", Type: reflect.TypeFor[float32]()}, failBad},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := classifyOllamaError(h.describe(tc.err, "nomic-embed-text")); got != tc.want {
				t.Errorf("classifyOllamaError(describe(%v)) = %d, want %d", tc.err, got, tc.want)
			}
		})
	}
}

func TestOllamaHalve(t *testing.T) {
	for _, tc := range []struct {
		in, want string
	}{
		{"one two three four", "one two"}, // half is 9, last space before it at 7 >= 4
		{"abcdefgh", "abcd"},              // no space: cut at the middle
		{"a bcdefghijklmnop", "a bcdefg"}, // the space at 1 is before the second quarter
		{"ééééé", "éé"},                   // 10 bytes: half 5 is inside a rune, back to 4
		{"x", ""},
	} {
		t.Run(tc.in, func(t *testing.T) {
			if got := ollamaHalve(tc.in); got != tc.want {
				t.Errorf("ollamaHalve(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
