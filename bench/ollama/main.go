// Command ollama measures how fast papermap embeds papers through a real
// Ollama server, against what the server allows. Run it through
// bench/ollama/run, which starts the server and builds papermap.
//
// Mode "throughput" (the default) times, on the same N papers and the same
// server, slice by slice (every method embeds a slice of -slice papers in
// turn, in an order that rotates from slice to slice, so that the load of
// the shared machine falls on all alike):
//
//	raw-B      a plain /api/embed client sending B texts per request, one
//	           request at a time (B from -batches), and with -raw-inflight 2
//	           two requests at a time;
//	papermap   the papermap binary: `papermap ingest --embedder ollama
//	           --model M --ollama-host URL` of a JSON Lines file of the
//	           papers into a new store (process start, reading, probing,
//	           embedding, storing: the whole command);
//	chromem    chromem-go's own chromem.NewEmbeddingFuncOllama(M, URL+"/api")
//	           with collection.AddDocuments(ctx, docs, runtime.NumCPU()),
//	           one /api/embeddings request per text.
//
// It prints papers per second of each method over all papers, and the
// ratios papermap/best-raw and papermap/chromem, both over all papers and
// as the median over slices of the ratio within a slice.
//
// The texts are papermap's document texts (title, ". ", abstract, as
// paper.Paper.Text gives them after papermap's reader has cleaned them),
// taken in file order from -input, skipping papers of more than the
// model's context (as testmodel's tokenizer counts them), so that every
// method sends exactly the same texts whole: papermap would cut such a text
// and chromem's request would crash the runner.
//
// Mode "scale" measures what one and two servers give at scale: -n papers
// (ACM abstracts from -acm, title + abstract, the first -n with an abstract
// of over 100 characters, as papermap ingest reads them) are cut into
// slices of -slice; every slice goes whole through `papermap ingest
// --ollama-host A,B` (all the -hosts, into one store that grows to -n
// papers) and its first -single papers also through `papermap ingest
// --ollama-host A` (the first host alone, into a second store), the two in
// an order that alternates from slice to slice. With -lock FILE each slice
// holds an exclusive flock on FILE, so that the run shares a machine-wide
// benchmark lock with other heavy runs slice by slice instead of holding it
// for the whole run. Texts longer than the model's context are cut by
// papermap as in any ingest. It prints papers per second per slice and over
// all slices, per server and in total, and the ratio two servers / one
// server (over all papers, and the median over slices of the same-slice
// ratio).
//
// Mode "crashes" embeds -n ACM abstracts (from -acm) with papermap's Ollama
// embedder, 256 at a time as papermap ingest does, behind a proxy that
// counts the server's answers, and reports how many texts the context guard
// cut and how many times the runner still crashed.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ollama/ollama/api"
	"github.com/papermap/papermap/embed"
	"github.com/papermap/papermap/embed/ollama"
	"github.com/papermap/papermap/internal/testharness/testmodel"
	"github.com/papermap/papermap/paper"
	chromem "github.com/philippgille/chromem-go"
)

func main() {
	if err := run(context.Background(), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "bench/ollama:", err)
		os.Exit(1)
	}
}

type config struct {
	mode     string
	host     string
	model    string
	n        int
	slice    int
	threads  int
	batches  []int
	inflight int
	papermap string
	input    string
	acm      string
	work     string
	hosts    string
	single   int
	lock     string
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("ollama", flag.ContinueOnError)
	var c config
	var batches string
	fs.StringVar(&c.mode, "mode", "throughput", "throughput or crashes")
	fs.StringVar(&c.host, "host", os.Getenv("OLLAMA_TEST_HOST"), "Ollama server URL")
	fs.StringVar(&c.model, "model", testmodel.MiniLM.Model, "model")
	fs.IntVar(&c.n, "n", 1000, "papers")
	fs.IntVar(&c.slice, "slice", 100, "papers per slice: every method embeds each slice in turn (throughput)")
	fs.StringVar(&batches, "batches", "1,4,16,32,64", "batch sizes of the raw client")
	fs.IntVar(&c.inflight, "raw-inflight", 2, "also run the raw client with this many requests in flight, at batch 16 (0: no)")
	fs.IntVar(&c.threads, "threads", 0, "if not 0, embed with a copy of the model made with PARAMETER num_thread N (named MODEL-Nt)")
	fs.StringVar(&c.papermap, "papermap", "", "papermap binary (throughput)")
	fs.StringVar(&c.input, "input", "testdata/arxiv-2007-04-2000.jsonl", "papers (throughput)")
	fs.StringVar(&c.acm, "acm", "/work/shared/data/acm-cr/acm-dl-docs.jsonl.gz", "ACM records (crashes)")
	fs.StringVar(&c.work, "work", "", "scratch directory (default: a new temporary one)")
	fs.StringVar(&c.hosts, "hosts", "", "comma-separated server URLs (scale; the first is also -host)")
	fs.IntVar(&c.single, "single", 250, "papers of each slice also embedded through the first host alone (scale)")
	fs.StringVar(&c.lock, "lock", "", "hold an exclusive flock on this file during each slice (scale)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	for _, b := range strings.Split(batches, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(b))
		if err != nil || n < 1 {
			return fmt.Errorf("bad -batches %q", batches)
		}
		c.batches = append(c.batches, n)
	}
	if c.host == "" && c.hosts != "" {
		c.host = strings.Split(c.hosts, ",")[0]
	}
	if c.host == "" {
		return errors.New("no server: set -host or OLLAMA_TEST_HOST")
	}
	if c.work == "" {
		dir, err := os.MkdirTemp("", "papermap-bench-ollama-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		c.work = dir
	}
	spec, err := testmodel.SpecByName(c.model)
	if err != nil {
		return err
	}
	if c.threads > 0 {
		base := c.model
		for _, h := range append([]string{c.host}, hostsOf(c.hosts)...) {
			if c.model, err = threadVariant(ctx, h, base, c.threads); err != nil {
				return err
			}
		}
	}
	switch c.mode {
	case "throughput":
		return throughput(ctx, c, spec)
	case "crashes":
		return crashes(ctx, c)
	case "scale":
		return scale(ctx, c)
	}
	return fmt.Errorf("unknown -mode %q", c.mode)
}

// method is one way of embedding papers; run embeds papers[lo:hi] and
// returns the wall time.
type method struct {
	name string
	run  func(ctx context.Context, lo, hi int) (time.Duration, error)
}

func throughput(ctx context.Context, c config, spec testmodel.Spec) error {
	if c.papermap == "" {
		return errors.New("-papermap is needed")
	}
	papers, skipped, err := selectPapers(c.input, c.n, spec)
	if err != nil {
		return err
	}
	texts := make([]string, len(papers))
	chars := 0
	for i, p := range papers {
		texts[i] = p.Text()
		chars += len(texts[i])
	}
	fmt.Printf("%d papers from %s (%d longer than the context skipped), %d characters on average; model %s at %s; slices of %d\n",
		len(papers), c.input, skipped, chars/len(texts), c.model, c.host, c.slice)

	// Load the model before timing anything.
	if _, err := rawEmbed(ctx, http.DefaultClient, c.host, c.model, texts[:1]); err != nil {
		return fmt.Errorf("warm-up: %w", err)
	}

	var methods []method
	for _, b := range c.batches {
		methods = append(methods, method{fmt.Sprintf("raw-%d", b), func(ctx context.Context, lo, hi int) (time.Duration, error) {
			return rawClient(ctx, c.host, c.model, texts[lo:hi], b, 1)
		}})
	}
	if c.inflight > 1 {
		methods = append(methods, method{fmt.Sprintf("raw-16x%d", c.inflight), func(ctx context.Context, lo, hi int) (time.Duration, error) {
			return rawClient(ctx, c.host, c.model, texts[lo:hi], 16, c.inflight)
		}})
	}
	// papermap ingests slice after slice into one store, as one long
	// ingest would store them (each run also pays for starting the
	// process and connecting, measured apart below).
	store := filepath.Join(c.work, "store")
	methods = append(methods,
		method{"papermap", func(ctx context.Context, lo, hi int) (time.Duration, error) {
			file := filepath.Join(c.work, fmt.Sprintf("papers-%d.jsonl", lo))
			if err := writeJSONL(file, papers[lo:hi]); err != nil {
				return 0, err
			}
			return papermapIngest(ctx, c.papermap, c.host, c.model, file, store, hi-lo, hi-lo)
		}},
		method{"chromem", func(ctx context.Context, lo, hi int) (time.Duration, error) {
			return chromemAdd(ctx, c.host, c.model, papers[lo:hi])
		}},
	)

	// Every method embeds each slice in turn, in an order that rotates
	// from slice to slice, so that the machine's changing load (it is
	// shared) falls on all methods alike.
	times := map[string][]time.Duration{} // per slice
	var parts [][2]int
	for lo := 0; lo < len(papers); lo += c.slice {
		parts = append(parts, [2]int{lo, min(lo+c.slice, len(papers))})
	}
	for k, sl := range parts {
		order := append(slices.Clone(methods[k%len(methods):]), methods[:k%len(methods)]...)
		var line []string
		for _, m := range order {
			d, err := m.run(ctx, sl[0], sl[1])
			if err != nil {
				return fmt.Errorf("papers %d-%d, %s: %w", sl[0], sl[1]-1, m.name, err)
			}
			times[m.name] = append(times[m.name], d)
			line = append(line, fmt.Sprintf("%s %.1f", m.name, float64(sl[1]-sl[0])/d.Seconds()))
		}
		fmt.Printf("papers %4d-%4d (papers/s): %s   load %s\n", sl[0], sl[1]-1, strings.Join(line, ", "), loadAverage())
	}
	// What starting papermap costs: an ingest of papers already stored
	// (nothing to embed).
	overhead, err := papermapIngest(ctx, c.papermap, c.host, c.model, filepath.Join(c.work, "papers-0.jsonl"), store, 0, parts[0][1])
	if err != nil {
		return err
	}

	total := func(name string) float64 {
		var d time.Duration
		for _, x := range times[name] {
			d += x
		}
		return float64(len(papers)) / d.Seconds()
	}
	// ratio is the median over slices of name's rate over ref's in the
	// same slice: the figure least disturbed by the load changing.
	ratio := func(name, ref string) float64 {
		var r []float64
		for k := range parts {
			r = append(r, times[ref][k].Seconds()/times[name][k].Seconds())
		}
		slices.Sort(r)
		if len(r)%2 == 1 {
			return r[len(r)/2]
		}
		return (r[len(r)/2-1] + r[len(r)/2]) / 2
	}
	fmt.Printf("\n| method | papers/s (all %d papers) | per slice: min / median / max |\n|---|---|---|\n", len(papers))
	bestRaw, bestName := 0.0, ""
	for _, m := range methods {
		var each []float64
		for k, d := range times[m.name] {
			each = append(each, float64(parts[k][1]-parts[k][0])/d.Seconds())
		}
		slices.Sort(each)
		fmt.Printf("| %s | %.2f | %.2f / %.2f / %.2f |\n", m.name, total(m.name), each[0], each[len(each)/2], each[len(each)-1])
		if strings.HasPrefix(m.name, "raw-") && total(m.name) > bestRaw {
			bestRaw, bestName = total(m.name), m.name
		}
	}
	pm, cm := total("papermap"), total("chromem")
	fmt.Printf("\na = best raw /api/embed client (%s): %.2f papers/s\nb = papermap ingest: %.2f papers/s\nc = chromem-go AddDocuments: %.2f papers/s\n", bestName, bestRaw, pm, cm)
	fmt.Printf("b/a = %.3f, b/c = %.3f (all papers); median over %d slices of the same ratios: %.3f, %.3f\n",
		pm/bestRaw, pm/cm, len(parts), ratio("papermap", bestName), ratio("papermap", "chromem"))
	fmt.Printf("papermap ingest of %d papers already stored (start-up, reading, connecting; nothing embedded): %.2f s\n",
		parts[0][1], overhead.Seconds())
	return nil
}

// threadVariant creates MODEL-Nt, model with PARAMETER num_thread n, on
// host (through /api/create with "from"; the weights are shared), and
// returns its name. On a shared 2-core machine, a runner with 2 threads
// waits at every one of ggml's per-operation barriers whenever another
// process holds a core, and embeds 3 to 4 times slower than with 1 thread
// (measured here under a load average of 5): the variant makes the
// server's speed steadier, whatever the client.
func threadVariant(ctx context.Context, host, model string, n int) (string, error) {
	u, err := url.Parse(host)
	if err != nil {
		return "", err
	}
	name := fmt.Sprintf("%s-%dt", model, n)
	client := api.NewClient(u, http.DefaultClient)
	err = client.Create(ctx, &api.CreateRequest{Model: name, From: model, Parameters: map[string]any{"num_thread": n}},
		func(api.ProgressResponse) error { return nil })
	if err != nil {
		return "", fmt.Errorf("creating %s: %w", name, err)
	}
	return name, nil
}

// selectPapers reads the first n papers of file whose document text fits
// the model's context, counting their tokens with testmodel's tokenizer
// (which agrees with the server on ASCII text; the arXiv file is ASCII).
func selectPapers(file string, n int, spec testmodel.Spec) ([]paper.Paper, int, error) {
	ps, _, err := paper.ReadFile(file, paper.Options{})
	if err != nil {
		return nil, 0, err
	}
	tok := testmodel.NewTokenizer(testmodel.Vocab(spec))
	var out []paper.Paper
	skipped := 0
	for _, p := range ps {
		if len(out) == n {
			break
		}
		if len(tok.Tokenize(p.Text())) > spec.MaxPositions {
			skipped++
			continue
		}
		out = append(out, p)
	}
	if len(out) < n {
		return nil, 0, fmt.Errorf("only %d papers of %s fit the context, want %d", len(out), file, n)
	}
	return out, skipped, nil
}

func writeJSONL(name string, ps []paper.Paper) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	for _, p := range ps {
		if err := enc.Encode(map[string]string{"id": p.ID, "title": p.Title, "abstract": p.Abstract}); err != nil {
			return err
		}
	}
	return os.WriteFile(name, b.Bytes(), 0o644)
}

// rawEmbed sends one /api/embed request and returns its vectors.
func rawEmbed(ctx context.Context, client *http.Client, host, model string, in []string) ([][]float32, error) {
	body, err := json.Marshal(map[string]any{"model": model, "input": in})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, host+"/api/embed", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", resp.Status, data)
	}
	var out struct {
		Embeddings [][]float32 `json:"embeddings"`
	}
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, err
	}
	if len(out.Embeddings) != len(in) {
		return nil, fmt.Errorf("%d vectors for %d texts", len(out.Embeddings), len(in))
	}
	return out.Embeddings, nil
}

// rawClient embeds texts in batches of size b with inflight requests at a
// time, and returns the wall time.
func rawClient(ctx context.Context, host, model string, texts []string, b, inflight int) (time.Duration, error) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: inflight + 1}}
	start := time.Now()
	var next atomic.Int64
	errs := make([]error, inflight)
	var wg sync.WaitGroup
	for w := range inflight {
		wg.Go(func() {
			for {
				i := int(next.Add(1)-1) * b
				if i >= len(texts) {
					return
				}
				if _, err := rawEmbed(ctx, client, host, model, texts[i:min(i+b, len(texts))]); err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	return time.Since(start), errors.Join(errs...)
}

// papermapIngest runs the papermap binary on file into store and returns
// the wall time of the command; it checks that added papers were added.
func papermapIngest(ctx context.Context, bin, host, model, file, store string, added, n int) (time.Duration, error) {
	cmd := exec.CommandContext(ctx, bin, "ingest", "--quiet", "--json", "--store", store,
		"--embedder", "ollama", "--model", model, "--ollama-host", host, file)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if err != nil {
		return 0, fmt.Errorf("%v\n%s", err, stderr.String())
	}
	var res struct {
		Complete bool `json:"complete"`
		Read     int  `json:"read"`
		Added    int  `json:"added"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil || !res.Complete || res.Added != added || res.Read != n {
		return 0, fmt.Errorf("ingest summary %s (want %d read, %d added): %v", stdout.String(), n, added, err)
	}
	if strings.Contains(stderr.String(), "ollama: cut") {
		return 0, fmt.Errorf("papermap cut texts, so the methods did not embed the same texts:\n%s", stderr.String())
	}
	return d, nil
}

// chromemAdd adds the papers to a new in-memory chromem-go collection with
// chromem-go's own Ollama embedding function and returns the wall time.
func chromemAdd(ctx context.Context, host, model string, papers []paper.Paper) (time.Duration, error) {
	db := chromem.NewDB()
	col, err := db.CreateCollection("papers", nil, chromem.NewEmbeddingFuncOllama(model, host+"/api"))
	if err != nil {
		return 0, err
	}
	docs := make([]chromem.Document, len(papers))
	for i, p := range papers {
		docs[i] = chromem.Document{ID: p.ID, Content: p.Text()}
	}
	start := time.Now()
	if err := col.AddDocuments(ctx, docs, runtime.NumCPU()); err != nil {
		return 0, err
	}
	d := time.Since(start)
	if col.Count() != len(papers) {
		return 0, fmt.Errorf("chromem stored %d of %d documents", col.Count(), len(papers))
	}
	return d, nil
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}

// crashes embeds ACM abstracts through papermap's embedder and counts the
// runner crashes the context guard did not prevent.
func crashes(ctx context.Context, c config) error {
	texts, err := acmTexts(c.acm, c.n)
	if err != nil {
		return err
	}
	target, err := url.Parse(c.host)
	if err != nil {
		return err
	}
	var requests, crashAnswers, tooLong atomic.Int64
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.ModifyResponse = func(resp *http.Response) error {
		if resp.Request.URL.Path != "/api/embed" {
			return nil
		}
		requests.Add(1)
		if resp.StatusCode == http.StatusOK {
			return nil
		}
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		switch {
		case resp.StatusCode == http.StatusInternalServerError && bytes.Contains(body, []byte("do embedding request")):
			crashAnswers.Add(1)
		case resp.StatusCode == http.StatusBadRequest && bytes.Contains(body, []byte("context length")):
			tooLong.Add(1)
		}
		return nil
	}
	proxy := httptest.NewServer(rp)
	defer proxy.Close()

	var mu sync.Mutex
	var warnings []string
	o, err := ollama.New(ctx, ollama.Options{Hosts: []string{proxy.URL}, Model: c.model,
		Warn: func(msg string) { mu.Lock(); warnings = append(warnings, msg); mu.Unlock() }})
	if err != nil {
		return err
	}
	start := time.Now()
	const chunk = 256 // as papermap ingest embeds
	for i := 0; i < len(texts); i += chunk {
		if _, err := o.Embed(ctx, texts[i:min(i+chunk, len(texts))], embed.Document); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "\r%d of %d embedded", min(i+chunk, len(texts)), len(texts))
	}
	fmt.Fprintln(os.Stderr)
	cut, crashCuts := 0, 0
	for _, w := range warnings {
		var k, m int
		if _, err := fmt.Sscanf(w, "ollama: cut %d of %d texts", &k, &m); err == nil {
			cut += k
		}
		if strings.Contains(w, "crashed on") {
			crashCuts += strings.Count(w, "(embedded: its first")
		}
	}
	fmt.Printf("%d ACM abstracts (title + abstract) on %s in %.0f s (%.2f papers/s), %d /api/embed requests\n",
		len(texts), c.model, time.Since(start).Seconds(), float64(len(texts))/time.Since(start).Seconds(), requests.Load())
	fmt.Printf("cut by the context guard: %d texts (%.2f%%)\n", cut, 100*float64(cut)/float64(len(texts)))
	fmt.Printf("runner crashes (500 do embedding request): %d; refused as too long (400): %d; texts cut after a crash: %d\n",
		crashAnswers.Load(), tooLong.Load(), crashCuts)
	return nil
}

// acmTexts returns the document texts of the first n ACM records with an
// abstract of more than 100 characters, read as papermap ingest reads them.
func acmTexts(name string, n int) ([]string, error) {
	ps, _, err := paper.ReadFile(name, paper.Options{})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, p := range ps {
		if len(out) == n {
			break
		}
		if len(p.Abstract) > 100 {
			out = append(out, p.Text())
		}
	}
	return out, nil
}

// hostsOf splits a comma-separated host list.
func hostsOf(s string) []string {
	var out []string
	for _, h := range strings.Split(s, ",") {
		if h = strings.TrimSpace(h); h != "" {
			out = append(out, h)
		}
	}
	return out
}

// scale embeds -n ACM papers through all the -hosts and a share of them
// through the first host alone (see the package comment).
func scale(ctx context.Context, c config) error {
	hosts := hostsOf(c.hosts)
	if len(hosts) < 2 {
		return errors.New("-mode scale needs -hosts with at least two servers")
	}
	if c.papermap == "" {
		return errors.New("-papermap is needed")
	}
	ps, _, err := paper.ReadFile(c.acm, paper.Options{})
	if err != nil {
		return err
	}
	var papers []paper.Paper
	chars := 0
	for _, p := range ps {
		if len(papers) == c.n {
			break
		}
		if len(p.Abstract) > 100 {
			papers = append(papers, p)
			chars += len(p.Text())
		}
	}
	if len(papers) < c.n {
		return fmt.Errorf("only %d ACM records with an abstract in %s, want %d", len(papers), c.acm, c.n)
	}
	fmt.Printf("%d ACM papers from %s, %d characters on average; model %s; all hosts %s; one host %s; slices of %d, the first %d of each also through one host\n",
		len(papers), c.acm, chars/len(papers), c.model, strings.Join(hosts, ","), hosts[0], c.slice, c.single)
	for _, h := range hosts {
		if _, err := rawEmbed(ctx, http.DefaultClient, h, c.model, []string{papers[0].Text()}); err != nil {
			return fmt.Errorf("warm-up of %s: %w", h, err)
		}
	}
	all, one := filepath.Join(c.work, "store-all"), filepath.Join(c.work, "store-one")
	var tAll, tOne time.Duration
	nAll, nOne := 0, 0
	var ratios []float64
	for k, lo := 0, 0; lo < len(papers); k, lo = k+1, lo+c.slice {
		hi := min(lo+c.slice, len(papers))
		file := filepath.Join(c.work, fmt.Sprintf("slice-%d.jsonl", lo))
		if err := writeJSONL(file, papers[lo:hi]); err != nil {
			return err
		}
		sh := min(hi, lo+c.single)
		fileOne := filepath.Join(c.work, fmt.Sprintf("slice-%d-one.jsonl", lo))
		if err := writeJSONL(fileOne, papers[lo:sh]); err != nil {
			return err
		}
		unlock, err := lockFile(c.lock)
		if err != nil {
			return err
		}
		var dAll, dOne time.Duration
		runAll := func() error {
			dAll, err = scaleIngest(ctx, c.papermap, c.hosts, c.model, file, all, hi-lo)
			return err
		}
		runOne := func() error {
			dOne, err = scaleIngest(ctx, c.papermap, hosts[0], c.model, fileOne, one, sh-lo)
			return err
		}
		order := []func() error{runAll, runOne}
		if k%2 == 1 {
			order[0], order[1] = order[1], order[0]
		}
		loadBefore := loadAverage()
		for _, f := range order {
			if err := f(); err != nil {
				unlock()
				return fmt.Errorf("papers %d-%d: %w", lo, hi-1, err)
			}
		}
		unlock()
		if c.lock != "" && hi < len(papers) {
			// Let other runs waiting on the lock take it before the next
			// slice: flock(2) does not queue its waiters.
			time.Sleep(5 * time.Second)
		}
		tAll, tOne, nAll, nOne = tAll+dAll, tOne+dOne, nAll+hi-lo, nOne+sh-lo
		rAll, rOne := float64(hi-lo)/dAll.Seconds(), float64(sh-lo)/dOne.Seconds()
		ratios = append(ratios, rAll/rOne)
		fmt.Printf("%s papers %5d-%5d: %d hosts %.2f papers/s (%.2f per host), 1 host %.2f papers/s; ratio %.2f; load %s -> %s; so far %d papers through %d hosts at %.2f papers/s\n",
			time.Now().UTC().Format("15:04:05"), lo, hi-1, len(hosts), rAll, rAll/float64(len(hosts)), rOne, rAll/rOne, loadBefore, loadAverage(),
			nAll, len(hosts), float64(nAll)/tAll.Seconds())
	}
	slices.Sort(ratios)
	med := ratios[len(ratios)/2]
	if len(ratios)%2 == 0 {
		med = (ratios[len(ratios)/2-1] + ratios[len(ratios)/2]) / 2
	}
	rAll, rOne := float64(nAll)/tAll.Seconds(), float64(nOne)/tOne.Seconds()
	fmt.Printf("\n%d hosts: %d papers in %.0f s, %.2f papers/s (%.2f per host)\n1 host: %d papers in %.0f s, %.2f papers/s\n",
		len(hosts), nAll, tAll.Seconds(), rAll, rAll/float64(len(hosts)), nOne, tOne.Seconds(), rOne)
	fmt.Printf("%d hosts / 1 host: %.2f over all papers; median over %d slices of the same-slice ratio: %.2f (min %.2f, max %.2f)\n",
		len(hosts), rAll/rOne, len(ratios), med, ratios[0], ratios[len(ratios)-1])
	return nil
}

// scaleIngest runs `papermap ingest` of file into store through hosts and
// returns its wall time; it checks that all n papers were added.
func scaleIngest(ctx context.Context, bin, hosts, model, file, store string, n int) (time.Duration, error) {
	cmd := exec.CommandContext(ctx, bin, "ingest", "--quiet", "--json", "--store", store,
		"--embedder", "ollama", "--model", model, "--ollama-host", hosts, file)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if err != nil {
		return 0, fmt.Errorf("papermap ingest --ollama-host %s: %v\n%s", hosts, err, stderr.String())
	}
	var res struct {
		Complete bool `json:"complete"`
		Read     int  `json:"read"`
		Added    int  `json:"added"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil || !res.Complete || res.Added != n || res.Read != n {
		return 0, fmt.Errorf("ingest summary %s (want %d read and added): %v", stdout.String(), n, err)
	}
	return d, nil
}
