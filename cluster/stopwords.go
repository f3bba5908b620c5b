package cluster

import "github.com/papermap/papermap/internal/stopwords"

// abstractStopWords are words that occur in abstracts of every field and never
// name a theme. They are part of the built-in list.
var abstractStopWords = []string{
	"al", "approach", "approaches", "article", "based", "demonstrate", "demonstrated",
	"demonstrates", "e.g", "et", "i.e", "new", "novel", "paper", "papers", "present",
	"presented", "presents", "propose", "proposed", "proposes", "result", "results", "show",
	"showed", "shown", "shows", "studied", "studies", "study", "use", "used", "uses", "using",
}

// StopWords returns a copy of the built-in stop word list used by Keywords when
// KeywordOptions.StopWords is nil: scikit-learn's English list plus words common
// to all abstracts ("paper", "propose", "results", "using", ...).
func StopWords() []string {
	return append(stopwords.English(), abstractStopWords...)
}
