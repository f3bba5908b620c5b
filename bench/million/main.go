// Command million writes a large synthetic corpus of paper abstracts for
// papermap's scale benchmarks, recombined from the ACM abstracts in
// ../shared/data (which are copyrighted: the output goes to a temporary
// directory, never into the repository).
//
// Usage:
//
//	go run ./bench/million -n 1000000 -o /tmp/million.jsonl
//	go run ./bench/million -n 1000000 -seed 2 -o - | gzip > /tmp/million.jsonl.gz
//
// Each generated paper belongs to one source group, a venue and a decade of
// the ACM collection (e.g. SIGIR in the 2000s), chosen with probability
// proportional to the group's size. Its abstract starts with the first
// sentence of one abstract of the group and continues with 2 to 6 sentences
// drawn from other abstracts of the same group, in their original relative
// position; its title joins the first half of one title of the group with the
// second half of another; its keywords are those of the first abstract; its
// year is drawn from the decade and its id is "million:N". So the corpus keeps
// the topical structure of venues and decades (themes and search stay
// meaningful) while no two abstracts are the same text (an exact repeat is
// drawn again), unlike a corpus made by repeating the 113k records, where
// near-duplicate detection, themes and search are trivially easy.
//
// The same -n and -seed always write the same file. Records of the source
// without an abstract of at least 100 characters are not used.
package main

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"hash/maphash"
	"io"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

type source struct {
	Venue    string `json:"venue"`
	Year     string `json:"year"`
	Title    string `json:"title"`
	Abstract string `json:"abstract"`
	Keywords string `json:"keywords"`
}

type doc struct {
	title     string
	keywords  string
	sentences []string
}

type group struct {
	venue  string
	decade int
	docs   []doc
}

type record struct {
	ID       string `json:"id"`
	Title    string `json:"title"`
	Abstract string `json:"abstract"`
	Year     int    `json:"year"`
	Venue    string `json:"venue"`
	Keywords string `json:"keywords,omitempty"`
}

func main() {
	n := flag.Int("n", 1_000_000, "number of papers to write")
	seed := flag.Uint64("seed", 1, "random seed; the same -n and -seed write the same file")
	in := flag.String("i", "../shared/data/acm-cr/acm-dl-docs.jsonl.gz", "ACM records (JSONL, gzip)")
	out := flag.String("o", "-", "output JSONL file (- for stdout)")
	flag.Parse()
	if err := run(*n, *seed, *in, *out); err != nil {
		fmt.Fprintln(os.Stderr, "million:", err)
		os.Exit(1)
	}
}

func run(n int, seed uint64, in, out string) error {
	groups, err := load(in)
	if err != nil {
		return err
	}
	w := io.Writer(os.Stdout)
	if out != "-" {
		f, err := os.Create(out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	if err := generate(bw, groups, n, seed); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if f, ok := w.(*os.File); ok && f != os.Stdout {
		return f.Close()
	}
	return nil
}

// load reads the ACM records and groups those with an abstract by venue and
// decade, in a fixed order so that the output does not depend on map order.
func load(path string) ([]group, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	byKey := map[string]*group{}
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	line := 0
	for sc.Scan() {
		line++
		var s source
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		if len(s.Abstract) < 100 || s.Title == "" {
			continue
		}
		year, err := strconv.Atoi(s.Year)
		if err != nil {
			continue
		}
		d := (year / 10) * 10
		key := s.Venue + "/" + strconv.Itoa(d)
		g := byKey[key]
		if g == nil {
			g = &group{venue: s.Venue, decade: d}
			byKey[key] = g
		}
		g.docs = append(g.docs, doc{title: s.Title, keywords: s.Keywords, sentences: sentences(s.Abstract)})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	groups := make([]group, 0, len(keys))
	for _, k := range keys {
		if len(byKey[k].docs) >= 2 {
			groups = append(groups, *byKey[k])
		}
	}
	if len(groups) == 0 {
		return nil, fmt.Errorf("%s: no venue and decade with two abstracts", path)
	}
	return groups, nil
}

// sentences splits an abstract after '.', '?' or '!' followed by a space and
// an upper-case letter: good enough for recombination, where a missed split
// only makes a longer sentence.
func sentences(text string) []string {
	var out []string
	r := []rune(text)
	start := 0
	for i := 0; i+2 < len(r); i++ {
		if (r[i] == '.' || r[i] == '?' || r[i] == '!') && r[i+1] == ' ' && unicode.IsUpper(r[i+2]) {
			out = append(out, strings.TrimSpace(string(r[start:i+1])))
			start = i + 2
		}
	}
	if s := strings.TrimSpace(string(r[start:])); s != "" {
		out = append(out, s)
	}
	return out
}

func generate(w io.Writer, groups []group, n int, seed uint64) error {
	rng := rand.New(rand.NewPCG(seed, 0x6d696c6c696f6e))
	cum := make([]int, len(groups))
	total := 0
	for i, g := range groups {
		total += len(g.docs)
		cum[i] = total
	}
	hashSeed := maphash.MakeSeed()
	seen := make(map[uint64]struct{}, n)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for i := 0; i < n; i++ {
		var rec record
		for try := 0; ; try++ {
			gi := sort.SearchInts(cum, rng.IntN(total)+1)
			rec = compose(rng, &groups[gi], i)
			h := maphash.String(hashSeed, rec.Abstract)
			if _, dup := seen[h]; !dup {
				seen[h] = struct{}{}
				break
			}
			if try > 100 {
				return fmt.Errorf("cannot draw a new abstract after %d papers: the source is too small for -n %d", i, n)
			}
		}
		if err := enc.Encode(rec); err != nil {
			return err
		}
	}
	return nil
}

func compose(rng *rand.Rand, g *group, i int) record {
	base := g.docs[rng.IntN(len(g.docs))]
	parts := []string{base.sentences[0]}
	extra := 2 + rng.IntN(5)
	for j := 0; j < extra; j++ {
		d := g.docs[rng.IntN(len(g.docs))]
		// A sentence from about the same place in its abstract keeps the
		// usual order: problem, method, result.
		pos := 1 + j*(len(d.sentences)-1)/extra
		if pos >= len(d.sentences) {
			pos = len(d.sentences) - 1
		}
		parts = append(parts, d.sentences[pos])
	}
	other := g.docs[rng.IntN(len(g.docs))]
	return record{
		ID:       "million:" + strconv.Itoa(i),
		Title:    joinHalves(base.title, other.title),
		Abstract: strings.Join(parts, " "),
		Year:     g.decade + rng.IntN(10),
		Venue:    g.venue,
		Keywords: base.keywords,
	}
}

// joinHalves is the first half of a's words followed by the second half of
// b's.
func joinHalves(a, b string) string {
	wa, wb := strings.Fields(a), strings.Fields(b)
	head := wa[:(len(wa)+1)/2]
	tail := wb[len(wb)/2:]
	return strings.Join(append(append([]string{}, head...), tail...), " ")
}
