package main

import (
	"flag"
	"fmt"
	"strings"

	"github.com/papermap/papermap/corpus"
)

// namerFlags choose how themes are named; shared by themes and analyze.
type namerFlags struct {
	namer string
	model string
}

// bind registers --namer and --namer-model on fs.
func (f *namerFlags) bind(fs *flag.FlagSet) {
	fs.StringVar(&f.namer, "namer", corpus.NamerKeywords, "keywords or ollama")
	fs.StringVar(&f.model, "namer-model", "", "Ollama generative `MODEL` for --namer ollama")
}

// options returns the corpus options of the flags, with the Ollama hosts
// given as a comma-separated list ("" for OLLAMA_HOST) and the model's
// sampling seed.
func (f *namerFlags) options(hosts string, seed uint64, usage string) (corpus.NamerOptions, error) {
	o := corpus.NamerOptions{Namer: f.namer, Model: f.model, Seed: int(seed % (1 << 31))}
	switch {
	case f.namer != corpus.NamerKeywords && f.namer != corpus.NamerOllama:
		return o, &usageError{msg: fmt.Sprintf("--namer must be keywords or ollama, not %q", f.namer), usage: usage}
	case f.namer == corpus.NamerOllama && f.model == "":
		return o, &usageError{msg: "--namer ollama needs --namer-model MODEL (a generative model the server has: `ollama list`)", usage: usage}
	case f.namer != corpus.NamerOllama && f.model != "":
		return o, &usageError{msg: "--namer-model is only used with --namer ollama", usage: usage}
	}
	for _, h := range strings.Split(hosts, ",") {
		if h = strings.TrimSpace(h); h != "" {
			o.OllamaHosts = append(o.OllamaHosts, h)
		}
	}
	return o, nil
}
