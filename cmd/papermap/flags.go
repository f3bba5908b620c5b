package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/papermap/papermap/corpus"
	"github.com/papermap/papermap/embed"
	"github.com/papermap/papermap/embed/backend"
	"github.com/papermap/papermap/embed/ollama"
	"github.com/papermap/papermap/vectorstore"
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
	return fs.String("store", def, "store `DIR`, or weaviate://HOST:PORT/COLLECTION[?grpc=PORT] (env PAPERMAP_STORE)")
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
	return corpus.Options{
		Embedder: backend.Settings{
			Backend: f.embedder,
			Ollama:  ollama.Options{Model: f.model, BatchSize: f.batch, Hosts: hostList(f.hosts)},
		},
		Notice:         notice,
		IndexThreshold: indexThreshold(notice),
	}
}

// indexThresholdEnv overrides the number of papers from which searches use
// the approximate index (vectorstore.DefaultIndexThreshold); tests set it
// low so that small stores have an index.
const indexThresholdEnv = "PAPERMAP_INDEX_THRESHOLD"

// indexThresholdText is the default threshold as the help texts print it.
var indexThresholdText = strconv.Itoa(vectorstore.DefaultIndexThreshold)

// indexThreshold returns $PAPERMAP_INDEX_THRESHOLD, or 0 (the default)
// when it is unset or not an integer other than 0 (said on notice). A
// negative value means never: no index is built or used.
func indexThreshold(notice io.Writer) int {
	v := os.Getenv(indexThresholdEnv)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n == 0 {
		if notice != nil {
			fmt.Fprintf(notice, "papermap: ignoring %s=%q: not a number of papers (or -1: never)\n", indexThresholdEnv, v)
		}
		return 0
	}
	return max(n, -1)
}

// themeFlagsUsage describes the flags of bindThemeFlags for --help.
const themeFlagsUsage = `  --k N|auto      number of themes at the chosen level (default auto)
  --min-k N       smallest k tried by auto (default 5: fewer is no overview)
  --max-k N       largest k tried by auto (default: one per five papers, at most 30)
  --fine-k N      themes the finest level aims at (default √(papers/2), at least 2k)
  --seed N        random seed (default 0)
  --neighbors N   average each paper's vector with its N nearest neighbours
                  before clustering, which tightens themes of short abstracts
                  (default 10, one per 30 papers at most; -1 turns it off)
`

// bindThemeFlags binds the theme flags of themes and analyze straight to
// the settings; their defaults are the settings' zero values, documented in
// cluster.ThemeSettings.
func bindThemeFlags(fs *flag.FlagSet, o *corpus.ThemeOptions) {
	fs.Var((*kFlag)(&o.K), "k", "number of themes or auto")
	fs.IntVar(&o.MinK, "min-k", 0, "smallest k for auto")
	fs.IntVar(&o.MaxK, "max-k", 0, "largest k for auto")
	fs.IntVar(&o.FineK, "fine-k", 0, "themes of the finest level")
	fs.Uint64Var(&o.Seed, "seed", 0, "random seed")
	fs.IntVar(&o.Neighbors, "neighbors", 0, "neighbours averaged before clustering (-1: none)")
}

// checkThemeFlags rejects flag values no setting accepts.
func checkThemeFlags(o corpus.ThemeOptions, usage string) error {
	if o.MinK < 0 || o.MaxK < 0 || (o.MaxK > 0 && o.MinK > o.MaxK) {
		return &usageError{msg: fmt.Sprintf("bad range --min-k %d --max-k %d", o.MinK, o.MaxK), usage: usage}
	}
	if o.FineK < 0 {
		return &usageError{msg: fmt.Sprintf("--fine-k must be positive, not %d", o.FineK), usage: usage}
	}
	return nil
}

// kFlag is --k: a positive number, or auto (0).
type kFlag int

func (k *kFlag) String() string {
	if k == nil || *k == 0 {
		return "auto"
	}
	return strconv.Itoa(int(*k))
}

func (k *kFlag) Set(s string) error {
	if s == "auto" {
		*k = 0
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return fmt.Errorf("--k must be a positive number or auto, not %q", s)
	}
	*k = kFlag(n)
	return nil
}
