package paper_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/papermap/papermap/paper"
)

// synthPapers makes n papers of seeded random words, shaped like the ACM
// records (a 10-word title, a 150-word abstract, three authors).
func synthPapers(n int, seed uint64) []paper.Paper {
	r := rand.New(rand.NewPCG(seed, seed))
	words := strings.Fields("learning graph neural model data query search user retrieval network " +
		"evaluation system interactive semantic ranking study design web mobile privacy")
	phrase := func(k int) string {
		var b strings.Builder
		for i := range k {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(words[r.IntN(len(words))])
		}
		return b.String()
	}
	ps := make([]paper.Paper, n)
	for i := range ps {
		ps[i] = paper.Paper{
			ID:       fmt.Sprintf("10.1145/%d.%d", 1000000+i, r.IntN(1000000)),
			Title:    phrase(10),
			Abstract: phrase(150) + ".",
			Authors:  []string{"Ada Lovelace", "Charles Babbage", "Alan Turing"},
			Year:     1990 + r.IntN(30),
			Extra:    map[string]string{"venue": "chi", "keywords": phrase(4), "booktitle": "Proceedings of " + phrase(5)},
		}
	}
	return ps
}

func synthJSONL(ps []paper.Paper) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	for _, p := range ps {
		enc.Encode(map[string]any{"id": p.ID, "title": p.Title, "abstract": p.Abstract,
			"authors": strings.Join(p.Authors, ", "), "year": fmt.Sprint(p.Year),
			"venue": p.Extra["venue"], "keywords": p.Extra["keywords"], "booktitle": p.Extra["booktitle"]})
	}
	return b.Bytes()
}

// synthJSON is synthJSONL's records as one JSON array, one a line.
func synthJSON(ps []paper.Paper) []byte {
	lines := bytes.Split(bytes.TrimSpace(synthJSONL(ps)), []byte{'\n'})
	return append(append([]byte("[\n"), bytes.Join(lines, []byte(",\n"))...), "\n]\n"...)
}

// synthRIS writes the papers as RIS records.
func synthRIS(ps []paper.Paper) []byte {
	var b bytes.Buffer
	for _, p := range ps {
		fmt.Fprintf(&b, "TY  - CONF\nTI  - %s\n", p.Title)
		for _, a := range p.Authors {
			fmt.Fprintf(&b, "AU  - %s\n", a)
		}
		fmt.Fprintf(&b, "PY  - %d\nDO  - %s\nAB  - %s\nT2  - %s\nKW  - %s\nER  - \n\n", p.Year, p.ID, p.Abstract, p.Extra["booktitle"], p.Extra["keywords"])
	}
	return b.Bytes()
}

func synthBibTeX(ps []paper.Paper) []byte {
	var b bytes.Buffer
	for _, p := range ps {
		fmt.Fprintf(&b, "@inproceedings{%s,\nauthor = {%s},\ntitle = {%s},\nyear = {%d},\ndoi = {%s},\nabstract = {%s},\nbooktitle = {%s},\nkeywords = {%s},\nseries = {CHI '%02d}\n}\n\n",
			p.ID, strings.Join(p.Authors, " and "), p.Title, p.Year, p.ID, p.Abstract, p.Extra["booktitle"], p.Extra["keywords"], p.Year%100)
	}
	return b.Bytes()
}

func synthCSV(ps []paper.Paper) []byte {
	var b bytes.Buffer
	b.WriteString("id,title,abstract,authors,year\n")
	for _, p := range ps {
		fmt.Fprintf(&b, "%s,%s,\"%s\",\"%s\",%d\n", p.ID, p.Title, p.Abstract, strings.Join(p.Authors, ", "), p.Year)
	}
	return b.Bytes()
}

func synthText(ps []paper.Paper) []byte {
	var b bytes.Buffer
	for _, p := range ps {
		fmt.Fprintf(&b, "%s\n%s\n", p.Title, p.Abstract)
	}
	return b.Bytes()
}

// benchRead reads data with ReadAll. Besides the wall-clock MB/s it
// reports cpu-MB/s, bytes per second of process CPU time, which a busy
// shared machine disturbs less.
func benchRead(b *testing.B, format paper.Format, data []byte, want int) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		ps, skipped, err := paper.ReadAll(bytes.NewReader(data), paper.Options{Format: format})
		if err != nil || len(ps) != want || len(skipped) != 0 {
			b.Fatalf("read %d (want %d), skipped %d, err %v", len(ps), want, len(skipped), err)
		}
	}
	if secs := (cpuTime() - cpu0).Seconds(); secs > 0 {
		b.ReportMetric(float64(len(data))*float64(b.N)/1e6/secs, "cpu-MB/s")
	}
}

var benchSizes = []int{100, 1000, 10000}

func BenchmarkRead(b *testing.B) {
	for _, f := range []struct {
		format paper.Format
		encode func([]paper.Paper) []byte
	}{
		{paper.FormatJSONL, synthJSONL},
		{paper.FormatJSON, synthJSON},
		{paper.FormatBibTeX, synthBibTeX},
		{paper.FormatRIS, synthRIS},
		{paper.FormatCSV, synthCSV},
		{paper.FormatText, synthText},
	} {
		for _, n := range benchSizes {
			b.Run(fmt.Sprintf("%s/n=%d", f.format, n), func(b *testing.B) {
				benchRead(b, f.format, f.encode(synthPapers(n, 1)), n)
			})
		}
	}
}

// BenchmarkACM reads the real ACM exports, decompressed into memory first
// so that gzip is not measured: the JSONL file whole, and the BibTeX files
// of the first venues up to about 30 MB.
func BenchmarkACM(b *testing.B) {
	jsonl := acmJSONL(b)
	b.Run("jsonl", func(b *testing.B) {
		benchRead(b, paper.FormatJSONL, jsonl, bytes.Count(jsonl, []byte{'\n'}))
	})
	var bib bytes.Buffer
	entries := 0
	forEachBib(b, func(name string, data []byte) bool {
		bib.Write(data)
		bib.WriteByte('\n')
		entries += bytes.Count(data, []byte("\n@"))
		if bytes.HasPrefix(data, []byte("@")) {
			entries++
		}
		return bib.Len() < 30<<20
	})
	b.Run("bibtex", func(b *testing.B) {
		benchRead(b, paper.FormatBibTeX, bib.Bytes(), entries)
	})
}

// The ACM exports, in the shared data directory beside the checkout
// (../shared/data from the module root, which is this package's parent).
var (
	acmJSONLPath = filepath.Join("..", "..", "shared", "data", "acm-cr", "acm-dl-docs.jsonl.gz")
	acmBibPath   = filepath.Join("..", "..", "shared", "data", "acm-cr", "acm-dl-bib.tar.gz")
)

// acmTestsEnv, when set to 1, makes missing ACM data a failure instead of
// a skip: .ci/run sets it when it runs TestACM by name.
const acmTestsEnv = "PAPERMAP_ACM_TESTS"

// openACM opens an ACM export, or skips (fails under PAPERMAP_ACM_TESTS=1)
// when it is absent.
func openACM(tb testing.TB, path string) *os.File {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		if os.Getenv(acmTestsEnv) == "1" {
			tb.Fatalf("ACM data not available (%s=1 asks for it): %v", acmTestsEnv, err)
		}
		tb.Skipf("ACM data not available: %v", err)
	}
	return f
}

// acmJSONL returns the decompressed ACM JSONL file, or skips.
func acmJSONL(tb testing.TB) []byte {
	tb.Helper()
	f := openACM(tb, acmJSONLPath)
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		tb.Fatal(err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// forEachBib calls fn with every .bib file of the ACM archive, in archive
// order, until fn returns false; it skips when the archive is absent.
func forEachBib(tb testing.TB, fn func(name string, data []byte) bool) {
	tb.Helper()
	f := openACM(tb, acmBibPath)
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		tb.Fatal(err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			tb.Fatal(err)
		}
		if h.Typeflag != tar.TypeReg || !strings.HasSuffix(h.Name, ".bib") {
			continue
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			tb.Fatal(err)
		}
		if !fn(h.Name, data) {
			return
		}
	}
}
