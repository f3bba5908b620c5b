package ollama

import (
	"fmt"
	"strings"

	"github.com/papermap/papermap/embed"
)

// Prefixes are the strings put before each text, one per [Task], before it
// is sent to the model. Some models are trained to read the task from such
// an instruction and give worse vectors without it.
type Prefixes struct {
	Document, Query, Clustering string
}

// forTask returns the prefix for t. An unknown Task is a programmer error.
func (p Prefixes) forTask(t embed.Task) string {
	switch t {
	case embed.Document:
		return p.Document
	case embed.Query:
		return p.Query
	case embed.Clustering:
		return p.Clustering
	}
	panic(fmt.Sprintf("ollama: unknown task %d", int(t)))
}

// ollamaQueryInstruction is the query instruction mixedbread documents for
// mxbai-embed-large (on its Ollama library page and in its own docs).
const ollamaQueryInstruction = "Represent this sentence for searching relevant passages: "

// PrefixesFor returns the prefixes papermap uses for an Ollama model when
// [Options].Prefixes is nil. The model is matched by its base name,
// ignoring case, any registry or namespace ("hf.co/nomic-ai/") and any tag
// (":v1.5"):
//
//	base name starts with     Document             Query                    Clustering
//	nomic-embed-text          "search_document: "  "search_query: "         "clustering: "
//	mxbai-embed-large         ""                   "Represent this          ""
//	                                               sentence for searching
//	                                               relevant passages: "
//	anything else             ""                   ""                       ""
//
// The nomic prefixes come from the nomic-embed-text model card; the
// mxbai-embed-large instruction from its Ollama library page. Other models
// with a query instruction (snowflake-arctic-embed, bge-*) are not in the
// table because the instruction differs between their versions: give
// Prefixes explicitly for them.
func PrefixesFor(model string) Prefixes {
	base := strings.ToLower(model)
	if i := strings.LastIndex(base, "/"); i >= 0 {
		base = base[i+1:]
	}
	base, _, _ = strings.Cut(base, ":")
	switch {
	case strings.HasPrefix(base, "nomic-embed-text"):
		return Prefixes{Document: "search_document: ", Query: "search_query: ", Clustering: "clustering: "}
	case strings.HasPrefix(base, "mxbai-embed-large"):
		return Prefixes{Query: ollamaQueryInstruction}
	}
	return Prefixes{}
}
