package main

import (
	"flag"
	"fmt"
	"strings"

	"github.com/papermap/papermap/corpus"
)

// namerFlagsUsage describes the flags of bindNamerFlags for --help.
const namerFlagsUsage = `  --namer NAME    how themes are named: keywords (default) or ollama, a local
                  generative model (see 'papermap help themes')
  --namer-model M the Ollama generative model for --namer ollama (` + "`ollama list`" + `)
`

// bindNamerFlags binds the naming flags of themes and analyze straight to
// the options; their defaults are the options' zero values, documented in
// corpus.NamerOptions.
func bindNamerFlags(fs *flag.FlagSet, o *corpus.NamerOptions) {
	fs.StringVar(&o.Namer, "namer", "", "keywords or ollama")
	fs.StringVar(&o.Model, "namer-model", "", "Ollama generative `MODEL` for --namer ollama")
}

// checkNamerFlags rejects flag values no namer accepts.
func checkNamerFlags(o corpus.NamerOptions, usage string) error {
	switch {
	case o.Namer != "" && o.Namer != corpus.NamerKeywords && o.Namer != corpus.NamerOllama:
		return &usageError{msg: fmt.Sprintf("--namer must be keywords or ollama, not %q", o.Namer), usage: usage}
	case o.Namer == corpus.NamerOllama && o.Model == "":
		return &usageError{msg: "--namer ollama needs --namer-model MODEL (a generative model the server has: `ollama list`)", usage: usage}
	case o.Namer != corpus.NamerOllama && o.Model != "":
		return &usageError{msg: "--namer-model is only used with --namer ollama", usage: usage}
	}
	return nil
}

// hostList splits a comma-separated --ollama-host value (shared by the
// embedder's and the namer's flags).
func hostList(s string) []string {
	var out []string
	for _, h := range strings.Split(s, ",") {
		if h = strings.TrimSpace(h); h != "" {
			out = append(out, h)
		}
	}
	return out
}
