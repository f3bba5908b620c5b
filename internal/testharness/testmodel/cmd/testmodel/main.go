// Command testmodel writes papermap's random test models (the BERT
// embedding models papermap-tiny and papermap-minilm, the generative
// papermap-llama and papermap-llama-letters) and registers them on an Ollama server.
//
// Usage:
//
//	testmodel [-spec tiny|minilm|llama|llama-letters|all] [-dir DIR] [-register] [-host URL] [-force]
//	testmodel -words FILE.jsonl > internal/testharness/testmodel/words.txt
//
// With -register, a model is registered unless the server has it and it was
// last registered from identical files (recorded in DIR/NAME.registered);
// -force registers it anyway. The host defaults to $OLLAMA_TEST_HOST, then $OLLAMA_HOST.
//
// Examples:
//
//	go run ./internal/testharness/testmodel/cmd/testmodel -dir /tmp/models
//	go run ./internal/testharness/testmodel/cmd/testmodel -register -host http://127.0.0.1:41234
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	iofs "io/fs"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/papermap/papermap/internal/testharness/testmodel"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "testmodel:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("testmodel", flag.ContinueOnError)
	fs.SetOutput(stderr)
	specName := fs.String("spec", "all", "model to make: tiny, minilm, llama, llama-letters or all")
	dir := fs.String("dir", filepath.Join(os.TempDir(), "papermap-testmodels"), "parent directory of the model directories (DIR/tiny, DIR/minilm, DIR/llama)")
	register := fs.Bool("register", false, "create the models on the Ollama server")
	host := fs.String("host", "", "Ollama server URL (default $OLLAMA_TEST_HOST, then $OLLAMA_HOST)")
	force := fs.Bool("force", false, "with -register, replace models the server already has")
	words := fs.String("words", "", "instead of models, write the word list of this arXiv JSONL file to stdout")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}

	if *words != "" {
		f, err := os.Open(*words)
		if err != nil {
			return err
		}
		defer f.Close()
		counts, err := testmodel.CountWords(f)
		if err != nil {
			return err
		}
		return testmodel.WriteWords(stdout, counts)
	}

	var models []model
	for _, sp := range testmodel.Specs {
		models = append(models, model{sp.Name, sp.Model,
			func(d string) error { return testmodel.Write(d, sp) }, testmodel.Register})
	}
	for _, sp := range testmodel.LlamaSpecs {
		models = append(models, model{sp.Name, sp.Model,
			func(d string) error { return testmodel.WriteLlama(d, sp) }, testmodel.RegisterLlama})
	}
	if *specName != "all" {
		models = slices.DeleteFunc(models, func(m model) bool { return m.name != *specName && m.model != *specName })
		if len(models) == 0 {
			_, err := testmodel.SpecByName(*specName)
			return fmt.Errorf("%w, llama, llama-letters or all", err)
		}
	}

	var client *api.Client
	if *register {
		h := *host
		for _, env := range []string{testmodel.EnvHost, "OLLAMA_HOST"} {
			if h == "" {
				h = os.Getenv(env)
			}
		}
		if h == "" {
			return errors.New("-register needs -host, $OLLAMA_TEST_HOST or $OLLAMA_HOST")
		}
		if !strings.Contains(h, "://") {
			h = "http://" + h
		}
		u, err := url.Parse(h)
		if err != nil {
			return fmt.Errorf("bad host %q: %w", h, err)
		}
		client = api.NewClient(u, http.DefaultClient)
	}

	for _, s := range models {
		d := filepath.Join(*dir, s.name)
		start := time.Now()
		if err := s.write(d); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "%s: wrote %s in %v\n", s.name, d, time.Since(start).Round(time.Millisecond))
		if client == nil {
			continue
		}
		// A stamp beside the model directory records the digest of the
		// files last registered from it, so that a model whose generator
		// changed is registered again.
		digest, err := dirDigest(d)
		if err != nil {
			return err
		}
		stamp := d + ".registered"
		if !*force {
			old, _ := os.ReadFile(stamp)
			_, showErr := client.Show(ctx, &api.ShowRequest{Model: s.model})
			if showErr == nil && string(old) == digest {
				fmt.Fprintf(stderr, "%s: already on the server\n", s.model)
				continue
			}
		}
		start = time.Now()
		if err := s.register(ctx, client, s.model, d); err != nil {
			return err
		}
		if err := os.WriteFile(stamp, []byte(digest), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "%s: registered in %v\n", s.model, time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// model is one test model the command can make.
type model struct {
	name, model string // "tiny", "papermap-tiny"
	write       func(dir string) error
	register    func(ctx context.Context, client *api.Client, name, dir string) error
}

// dirDigest is the SHA-256 of the names and contents of the files under dir.
func dirDigest(dir string) (string, error) {
	h := sha256.New()
	err := filepath.WalkDir(dir, func(path string, d iofs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		fmt.Fprintf(h, "%s\x00", filepath.ToSlash(rel))
		_, err = io.Copy(h, f)
		return err
	})
	return hex.EncodeToString(h.Sum(nil)), err
}
