package paper_test

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/papermap/papermap/paper"
)

func ExampleReadAll() {
	const input = `{"id": "0704.0001", "title": "Calculation of prompt diphoton production", "authors": "C. Balázs, E. L. Berger and C.-P. Yuan", "update_date": "2008-11-13"}
{"id": "0704.0002", "title": "Sparsity-certifying Graph Decompositions", "categories": "math.CO cs.CG"}
{"id": "0704.0003", "title": "", "abstract": ""}
{"title": "The Semantic Web 10<sup>th</sup> Year Update", "venue": "wims"}
`
	papers, skipped, err := paper.ReadAll(strings.NewReader(input), paper.Options{Name: "papers.jsonl"})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range papers {
		fmt.Printf("%s %q %d %q %v\n", p.ID, p.Title, p.Year, p.Authors, p.Extra)
	}
	for _, e := range skipped {
		fmt.Println("skipped:", e)
	}
	// Output:
	// 0704.0001 "Calculation of prompt diphoton production" 2008 ["C. Balázs" "E. L. Berger" "C.-P. Yuan"] map[update_date:2008-11-13]
	// 0704.0002 "Sparsity-certifying Graph Decompositions" 2007 [] map[]
	// t:8382960b025fbacc "The Semantic Web 10th Year Update" 0 [] map[venue:wims]
	// skipped: papers.jsonl:3: no title and no abstract
}

func ExampleDecoder() {
	const bib = `@inproceedings{Garcia2011,
  author   = {Garc{\'\i}a, Ana and M{\"u}ller, J{\"o}rg},
  title    = {{B}ayesian Search {\&} Recommendation},
  year     = {2011},
  doi      = {10.1145/XYZ.123},
  abstract = {We study 3\texttimes{} faster search -- with $\epsilon$-nets.},
}

@article{broken,
  title = {Never closed,

@misc{NoAbstract2020,
  title = {A Paper Known Only by Its Title},
}
`
	d, err := paper.NewDecoder(strings.NewReader(bib), paper.Options{Name: "refs.bib"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("format:", d.Format())
	for {
		p, err := d.Next()
		if err == io.EOF {
			break
		}
		var bad *paper.RecordError
		if errors.As(err, &bad) {
			fmt.Println("skipped:", bad)
			continue
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%v %s %q %q\n  text: %s\n", p.Source, p.ID, p.Title, p.Authors, p.Text())
	}
	// Output:
	// format: bib
	// refs.bib:1 10.1145/XYZ.123 "Bayesian Search & Recommendation" ["García, Ana" "Müller, Jörg"]
	//   text: Bayesian Search & Recommendation. We study 3× faster search – with ε-nets.
	// skipped: refs.bib:9: entry is not closed before the next entry at line 12 (unbalanced braces or quotes); skipped
	// refs.bib:12 NoAbstract2020 "A Paper Known Only by Its Title" []
	//   text: A Paper Known Only by Its Title
}

func ExampleDedupe() {
	papers := []paper.Paper{
		{ID: "a", Title: "First", Source: paper.Position{File: "x.csv", Line: 2}},
		{ID: "b", Title: "Second", Source: paper.Position{File: "x.csv", Line: 3}},
		{ID: "a", Title: "First", Source: paper.Position{File: "y.bib", Line: 10}},
		{ID: "a", Title: "First, revised", Source: paper.Position{File: "y.bib", Line: 20}},
	}
	kept, dropped := paper.Dedupe(papers)
	fmt.Println(len(kept), "kept")
	for _, e := range dropped {
		fmt.Println(e)
	}
	// Output:
	// 2 kept
	// y.bib:10: duplicate of x.csv:2 (identical)
	// y.bib:20: duplicate id "a" with different content (first at x.csv:2)
}

// The ID is "t:" and the first 16 hex digits of the SHA-256 of the
// normalised title; the value below is what Python's
// hashlib.sha256(b"attention is all you need").hexdigest()[:16] gives.
func ExampleDeriveID() {
	fmt.Println(paper.DeriveID("Attention Is All You Need", ""))
	fmt.Println(paper.DeriveID("  attention is all   you need", "ignored when there is a title"))
	// Output:
	// t:4a1c934d3d98f3ce
	// t:4a1c934d3d98f3ce
}

// A RIS export, as Zotero writes it; the format is detected from the
// content ("TY  - "). The DOI keeps its capitals; IDKey compares DOIs
// without regard to case.
func ExampleReadAll_ris() {
	const input = `TY  - CONF
TI  - Community detection in social networks
AU  - García, Ana
AU  - Müller, Jörg
PY  - 2011
DO  - 10.1109/ASONAM.2011.23
AB  - We detect communities
in large social networks.
ER  - 
`
	papers, _, err := paper.ReadAll(strings.NewReader(input), paper.Options{Name: "export.ris"})
	if err != nil {
		fmt.Println(err)
		return
	}
	p := papers[0]
	fmt.Printf("%s %q %d %q\n", p.ID, p.Title, p.Year, p.Authors)
	fmt.Println(p.Abstract)
	fmt.Println(paper.IDKey(p.ID) == paper.IDKey("https://doi.org/10.1109/asonam.2011.23"))
	// Output:
	// 10.1109/ASONAM.2011.23 "Community detection in social networks" 2011 ["García, Ana" "Müller, Jörg"]
	// We detect communities in large social networks.
	// true
}
