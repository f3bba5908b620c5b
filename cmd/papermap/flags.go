package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/papermap/papermap/corpus"
	"github.com/papermap/papermap/embed"
	"github.com/papermap/papermap/embed/backend"
	"github.com/papermap/papermap/embed/ollama"
)

// errHelp is returned after --help printed a command's usage.
var errHelp = errors.New("help shown")

// defaultStoreDir is the store used when neither --store nor
// $PAPERMAP_STORE says otherwise.
const defaultStoreDir = "papermap-store"

// newFlagSet returns a flag set that reports errors to the caller instead of
// exiting, so that main alone decides exit codes.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parseArgs parses flags that may come before, between or after positional
// arguments (`papermap ingest a.txt --store s` works as well as the usual
// order). Everything after "--" is positional. --help prints usage to out.
func parseArgs(fs *flag.FlagSet, args []string, usage string, out io.Writer) ([]string, error) {
	var pos []string
	for {
		dashdash := -1
		for i, a := range args {
			if a == "--" {
				dashdash = i
				break
			}
		}
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprint(out, usage)
				return nil, errHelp
			}
			return nil, &usageError{msg: err.Error(), usage: usage}
		}
		rest := fs.Args()
		consumed := len(args) - len(rest)
		if dashdash >= 0 && consumed == dashdash+1 {
			// Parse stopped at "--": the rest is positional.
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// storeFlag binds --store with the environment default.
func (m *Main) storeFlag(fs *flag.FlagSet) *string {
	def := m.Getenv("PAPERMAP_STORE")
	if def == "" {
		def = defaultStoreDir
	}
	return fs.String("store", def, "store `DIR` (env PAPERMAP_STORE)")
}

// embedFlags are the flags that choose and configure the embedder.
type embedFlags struct {
	embedder string
	model    string
	hosts    string
	batch    int
}

func (f *embedFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.embedder, "embedder", embed.BackendAuto, embed.BackendAuto+", "+embed.BackendOllama+" or "+embed.BackendLexical)
	fs.StringVar(&f.model, "model", "", "Ollama `MODEL` (default "+ollama.DefaultModel+")")
	fs.StringVar(&f.hosts, "ollama-host", "", "Ollama `URL[,URL...]` (default $"+ollama.HostEnv+", the store's, or "+ollama.DefaultHost+")")
	fs.IntVar(&f.batch, "batch-size", 0, "texts per Ollama request (default "+strconv.Itoa(ollama.DefaultBatchSize)+")")
}

func (f *embedFlags) options(notice io.Writer) corpus.Options {
	o := corpus.Options{
		Embedder: backend.Settings{
			Backend: f.embedder,
			Ollama:  ollama.Options{Model: f.model, BatchSize: f.batch},
		},
		Notice: notice,
	}
	for _, h := range strings.Split(f.hosts, ",") {
		if h = strings.TrimSpace(h); h != "" {
			o.Embedder.Ollama.Hosts = append(o.Embedder.Ollama.Hosts, h)
		}
	}
	return o
}
