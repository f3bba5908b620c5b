package ollama

import (
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/ollama/ollama/api"
)

// ErrEmptyText is returned (wrapped, naming the text's index) by
// [Ollama.Embed] when a text is empty or only white space. Such a text has
// no meaning to embed, and servers answer it inconsistently (an error, or a
// vector of the prefix alone), so it is refused before any request is sent.
var ErrEmptyText = errors.New("ollama: empty text")

// UnreachableError says that no HTTP conversation with an Ollama server was
// possible: the connection was refused, the name did not resolve, or (in
// [Probe]) the server did not answer in time. Err is the cause.
type UnreachableError struct {
	Host string // base URL, e.g. "http://127.0.0.1:11434"
	Err  error
}

func (e *UnreachableError) Error() string {
	msg := fmt.Sprintf("cannot reach Ollama at %s: is `ollama serve` running?", e.Host)
	if e.Err != nil {
		msg += " (" + e.Err.Error() + ")"
	}
	return msg
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// ModelNotFoundError says that an Ollama server answered but does not have
// the model.
type ModelNotFoundError struct {
	Host  string // base URL
	Model string // model name as given
}

func (e *ModelNotFoundError) Error() string {
	return fmt.Sprintf("model %s is not on the Ollama server at %s: run `ollama pull %s`", e.Model, e.Host, e.Model)
}

// BadResponseError says that an Ollama server answered 200 OK with something
// that is not a usable set of vectors: malformed or truncated JSON, the wrong
// number of vectors, a vector of the wrong length, a NaN or infinite
// component, or a zero vector. Such vectors are never returned.
type BadResponseError struct {
	Host   string // base URL
	Reason string // what was wrong, e.g. "vector 3 has 512 dimensions, want 768"
}

func (e *BadResponseError) Error() string {
	return fmt.Sprintf("bad response from Ollama at %s: %s", e.Host, e.Reason)
}

// failureKind is what the retry policy does with an error from one request.
type failureKind int

const (
	// failPermanent: the request itself is wrong (4xx); sending it again,
	// here or elsewhere, cannot help.
	failPermanent failureKind = iota
	// failUnreached: no request reached a server (dial or DNS failure). It
	// counts against the host, never against the batch.
	failUnreached
	// failTransient: the server was reached but failed (5xx, 429, reset,
	// EOF mid-body, timeout). It counts against the host and the batch.
	failTransient
	// failBad: 200 OK with unusable vectors; retried at most maxBadAnswers-1 times.
	failBad
	// failCrash: the server's model runner died while embedding (500 "do
	// embedding request: ... EOF"). Ollama 0.6.5 does this, even with
	// truncate on, for a text longer than a BERT-style model's context
	// (ollama/ollama#7288); see ollamaRun.crashed for what is done about it.
	// It counts against neither the host nor the batch.
	failCrash
	// failTimeout: no answer within RequestTimeout. A batch of several texts
	// is split in two, as a slow server may manage half the work in time;
	// a single text counts as failTransient.
	failTimeout
	// failTooLong: the server refused a text as longer than the model's
	// context (400 "the input length exceeds the context length", from
	// Ollama versions whose truncate option does not truncate). Handled as
	// failCrash, except that the text is cut at once rather than first
	// tried again as it is. The context guard (ollamaLimit) makes this
	// rare; it remains for servers that do not tell the context.
	failTooLong
)

// ollamaTimeoutError is a request that got no answer within RequestTimeout.
type ollamaTimeoutError struct {
	limit time.Duration
	err   error
}

func (e *ollamaTimeoutError) Error() string {
	return fmt.Sprintf("no answer within %v (RequestTimeout): %v", e.limit, e.err)
}

func (e *ollamaTimeoutError) Unwrap() error { return e.err }

// ollamaCrashMessage marks the error Ollama's server gives when its runner
// process dies during an embedding request.
const ollamaCrashMessage = "do embedding request"

// classifyOllamaError sorts an error from one request (already passed
// through [ollamaHost.describe]) for the retry policy. Only answers that say
// the request itself is wrong are permanent; any other failure of the
// conversation (reset, EOF mid-body, timeout, "server closed idle
// connection", a proxy's garbage) is transient, since retrying costs at most
// MaxRetries backoffs while giving up on a long ingest costs the ingest.
func classifyOllamaError(err error) failureKind {
	var (
		bad    *BadResponseError
		unr    *UnreachableError
		mnf    *ModelNotFoundError
		status api.StatusError
		auth   api.AuthorizationError
		cert   *tls.CertificateVerificationError
		slow   *ollamaTimeoutError
	)
	switch {
	case errors.As(err, &slow):
		return failTimeout
	case errors.As(err, &bad):
		return failBad
	case errors.As(err, &unr):
		return failUnreached
	case errors.As(err, &status):
		switch {
		case status.StatusCode == http.StatusInternalServerError && strings.Contains(status.ErrorMessage, ollamaCrashMessage):
			return failCrash
		case status.StatusCode == http.StatusTooManyRequests || status.StatusCode >= 500:
			return failTransient
		case status.StatusCode == http.StatusBadRequest && isTooLongMessage(status.ErrorMessage):
			return failTooLong
		}
		return failPermanent
	case errors.As(err, &mnf), errors.As(err, &auth), errors.As(err, &cert):
		return failPermanent
	}
	return failTransient
}

// isTooLongMessage reports whether a 400 answer's message says that an
// input is longer than the model's context: "input length exceeds maximum
// context length" (Ollama 0.6.5 with truncate off) or "the input length
// exceeds the context length" (later versions, truncate on or off).
func isTooLongMessage(msg string) bool {
	msg = strings.ToLower(msg)
	return strings.Contains(msg, "exceeds") && strings.Contains(msg, "context length")
}

// isDialError reports whether err happened before any byte reached the
// server: connection refused, no route, name not resolved.
func isDialError(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns)
}

// describe turns an error from one request to h into one a person can act
// on, keeping the original in the chain.
func (h *ollamaHost) describe(err error, model string) error {
	var (
		status api.StatusError
		syn    *json.SyntaxError
		typ    *json.UnmarshalTypeError
	)
	switch {
	case isDialError(err):
		return &UnreachableError{Host: h.url, Err: err}
	case errors.As(err, &status):
		if status.StatusCode == http.StatusNotFound {
			// Ollama answers 404 for a missing model; a plain-text "404 page
			// not found" comes from a server without /api/embed.
			if strings.Contains(status.ErrorMessage, "page not found") {
				return fmt.Errorf("ollama at %s has no /api/embed endpoint (Ollama before 0.3.0?): %w", h.url, err)
			}
			return &ModelNotFoundError{Host: h.url, Model: model}
		}
		if status.Status != "" && status.ErrorMessage != "" {
			// err reads "400 Bad Request: <the server's message>".
			return fmt.Errorf("ollama at %s answered %w", h.url, err)
		}
		return fmt.Errorf("ollama at %s answered %d %s: %w", h.url, status.StatusCode, http.StatusText(status.StatusCode), err)
	case errors.As(err, &syn), errors.As(err, &typ):
		return &BadResponseError{Host: h.url, Reason: "malformed JSON: " + err.Error()}
	}
	return fmt.Errorf("ollama at %s: %w", h.url, err)
}
