// Command layout measures papermap's map layouts against the vectors they
// come from and against known labels (bench/compare case 6 drives it).
//
//	go run ./bench/layout vectors --store DIR --out FILE [--n N] [--sample-seed S]
//	    writes the first N stored vectors (ID order) as little-endian
//	    float32 rows, FILE.ids with their IDs, for peers such as scikit-learn
//	go run ./bench/layout run --store DIR --out FILE.xy [--n N] [--layout auto|tsne|umap|pca] [--seed S]
//	    lays out the first N stored papers and prints the time (auto: the
//	    map's default for N papers, layout.DefaultMethod)
//	go run ./bench/layout eval --store DIR (--map FILE.json | --xy FILE.xy) [--n N]
//	    --labels FILE.jsonl --field NAME [--k 10] [--queries Q]
//	    prints trustworthiness@k against the stored vectors and the share
//	    of each paper's k nearest map neighbours with its own label
//
// Labels are read from the JSONL file's NAME field, matched by "id". Every
// command takes --sample-seed S: N papers drawn by seed S (kept in ID order)
// in place of the first N (the ACM store is sorted by DOI, so its first
// 2,000 papers come from one journal).
package main

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"time"

	"gonum.org/v1/gonum/blas/blas32"

	"github.com/papermap/papermap/topicmap/layout"
	"github.com/papermap/papermap/vectorstore"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: layout vectors|run|eval [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "vectors":
		err = vectors(os.Args[2:])
	case "run":
		err = run(os.Args[2:])
	case "eval":
		err = eval(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "layout:", err)
		os.Exit(1)
	}
}

// load returns the first n stored papers in ID order (all when n is 0), or,
// with a sample seed, n papers drawn without replacement by that seed (kept
// in ID order): the first n of a store sorted by DOI come from one publisher.
func load(store string, n int, sampleSeed uint64) ([]string, blas32.General, error) {
	s, err := vectorstore.Open(context.Background(), store, vectorstore.Options{ReadOnly: true})
	if err != nil {
		return nil, blas32.General{}, err
	}
	defer s.Close()
	ids, data, dim := s.Matrix()
	if n > 0 && n < len(ids) {
		if sampleSeed == 0 {
			ids, data = ids[:n], data[:n*dim]
		} else {
			pick := rand.New(rand.NewPCG(sampleSeed, 0)).Perm(len(ids))[:n]
			slices.Sort(pick)
			sid, sdata := make([]string, n), make([]float32, n*dim)
			for t, i := range pick {
				sid[t] = ids[i]
				copy(sdata[t*dim:(t+1)*dim], data[i*dim:(i+1)*dim])
			}
			ids, data = sid, sdata
		}
	}
	return ids, blas32.General{Rows: len(ids), Cols: dim, Stride: dim, Data: data}, nil
}

func vectors(args []string) error {
	fs := flag.NewFlagSet("vectors", flag.ExitOnError)
	store := fs.String("store", "", "store directory")
	out := fs.String("out", "", "output file")
	n := fs.Int("n", 0, "first N papers (0: all)")
	sample := fs.Uint64("sample-seed", 0, "draw the N papers by this seed instead of taking the first N")
	fs.Parse(args)
	ids, x, err := load(*store, *n, *sample)
	if err != nil {
		return err
	}
	if err := writeFloats(*out, x.Data); err != nil {
		return err
	}
	fmt.Printf("rows=%d dim=%d\n", x.Rows, x.Cols)
	return os.WriteFile(*out+".ids", []byte(strings.Join(ids, "\n")+"\n"), 0o644)
}

func run(args []string) error {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	store := fs.String("store", "", "store directory")
	out := fs.String("out", "", "output file of float32 x,y pairs")
	n := fs.Int("n", 0, "first N papers (0: all)")
	sample := fs.Uint64("sample-seed", 0, "draw the N papers by this seed instead of taking the first N")
	kind := fs.String("layout", "auto", "auto (the map's default for the size), tsne, umap or pca")
	seed := fs.Uint64("seed", 1, "seed")
	var o layout.Options
	fs.IntVar(&o.PCADims, "pcadims", 0, "layout.Options.PCADims")
	fs.IntVar(&o.Neighbors, "neighbors", 0, "layout.Options.Neighbors")
	fs.IntVar(&o.Epochs, "epochs", 0, "layout.Options.Epochs")
	fs.IntVar(&o.NegativeRate, "negrate", 0, "layout.Options.NegativeRate")
	fs.IntVar(&o.SampleRows, "sample", 0, "layout.Options.SampleRows")
	fs.IntVar(&o.RefineEpochs, "refine-epochs", 0, "layout.Options.RefineEpochs")
	fs.Float64Var(&o.NoiseWeight, "nu", 0, "layout.Options.NoiseWeight (Neg-t-SNE's ν; 0: umap-learn's loss)")
	var rate float64
	iters := fs.Int("iters", 0, "layout.TSNEOptions.Iterations")
	theta := fs.Float64("theta", 0, "layout.TSNEOptions.Theta")
	perp := fs.Float64("perplexity", 0, "layout.TSNEOptions.Perplexity")
	fs.Float64Var(&rate, "refine-rate", 0, "layout.Options.RefineRate")
	fs.Parse(args)
	o.Seed = *seed
	o.RefineRate = float32(rate)
	loadStart := time.Now()
	_, x, err := load(*store, *n, *sample)
	if err != nil {
		return err
	}
	fmt.Printf("load_seconds=%.1f\n", time.Since(loadStart).Seconds())
	start := time.Now()
	if pf := os.Getenv("LAYOUT_CPUPROFILE"); pf != "" {
		f, err := os.Create(pf)
		if err != nil {
			return err
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
		// A run stopped by a time limit still leaves its profile.
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
		go func() {
			<-sig
			pprof.StopCPUProfile()
			f.Close()
			fmt.Printf("layout=%s stopped after seconds=%.3f\n", *kind, time.Since(start).Seconds())
			os.Exit(124)
		}()
	}
	if *kind == "auto" {
		*kind = layout.DefaultMethod(x.Rows)
	}
	var xy []float32
	switch *kind {
	case layout.MethodUMAP:
		xy, err = layout.UMAP(x, o)
	case layout.MethodTSNE:
		xy, err = layout.TSNE(x, layout.TSNEOptions{Seed: *seed, Iterations: *iters, Theta: *theta, PCADims: o.PCADims, Perplexity: *perp})
	case "pca":
		xy, err = layout.PCA2(x, *seed)
	default:
		err = fmt.Errorf("unknown layout %q", *kind)
	}
	if err != nil {
		return err
	}
	fmt.Printf("layout=%s n=%d seconds=%.3f\n", *kind, x.Rows, time.Since(start).Seconds())
	if *out != "" {
		return writeFloats(*out, xy)
	}
	return nil
}

func eval(args []string) error {
	fs := flag.NewFlagSet("eval", flag.ExitOnError)
	store := fs.String("store", "", "store directory")
	mapFile := fs.String("map", "", "papermap map -o FILE.json output")
	xyFile := fs.String("xy", "", "float32 x,y pairs, one per stored paper in ID order")
	n := fs.Int("n", 0, "first N papers (0: all)")
	sample := fs.Uint64("sample-seed", 0, "draw the N papers by this seed instead of taking the first N")
	labels := fs.String("labels", "", "JSONL (optionally .gz) with id and the label field")
	field := fs.String("field", "archive", "label field")
	k := fs.Int("k", 10, "neighbours")
	queries := fs.Int("queries", 0, "query papers sampled (0: all)")
	fs.Parse(args)
	ids, x, err := load(*store, *n, *sample)
	if err != nil {
		return err
	}
	var xy []float32
	switch {
	case *mapFile != "":
		xy, err = readMapJSON(*mapFile, ids)
	case *xyFile != "":
		xy, err = readFloats(*xyFile)
		if err == nil && len(xy) != 2*len(ids) {
			err = fmt.Errorf("%s: %d values for %d papers", *xyFile, len(xy), len(ids))
		}
	default:
		err = fmt.Errorf("--map or --xy is required")
	}
	if err != nil {
		return err
	}
	start := time.Now()
	tw, err := layout.Trustworthiness(x, xy, *k, *queries, 1)
	if err != nil {
		return err
	}
	out := fmt.Sprintf("n=%d trustworthiness@%d=%.4f", x.Rows, *k, tw)
	if *labels != "" {
		lab, err := readLabels(*labels, *field, ids)
		if err != nil {
			return err
		}
		ag, err := layout.LabelAgreement(xy, lab, *k, *queries, 1)
		if err != nil {
			return err
		}
		out += fmt.Sprintf(" %s_agreement@%d=%.4f", *field, *k, ag)
	}
	fmt.Printf("%s eval_seconds=%.1f\n", out, time.Since(start).Seconds())
	return nil
}

func readMapJSON(path string, ids []string) ([]float32, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var raw struct {
		Papers []map[string]any `json:"papers"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	pos := make(map[string][2]float32, len(raw.Papers))
	for _, p := range raw.Papers {
		id, _ := p["id"].(string)
		x, _ := p["x"].(float64)
		y, _ := p["y"].(float64)
		pos[id] = [2]float32{float32(x), float32(y)}
	}
	xy := make([]float32, 2*len(ids))
	for i, id := range ids {
		p, ok := pos[id]
		if !ok {
			return nil, fmt.Errorf("%s: paper %q is not on the map", path, id)
		}
		xy[2*i], xy[2*i+1] = p[0], p[1]
	}
	return xy, nil
}

func readLabels(path, field string, ids []string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		gz, err := gzip.NewReader(f)
		if err != nil {
			return nil, err
		}
		r = gz
	}
	want := make(map[string]int, len(ids))
	for i, id := range ids {
		want[strings.ToLower(id)] = i
	}
	out := make([]string, len(ids))
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	line := 0
	for sc.Scan() {
		line++
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		id, _ := rec["id"].(string)
		if i, ok := want[strings.ToLower(id)]; ok {
			out[i] = fmt.Sprint(rec[field])
		}
	}
	return out, sc.Err()
}

func writeFloats(path string, v []float32) error {
	b := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
	return os.WriteFile(path, b, 0o644)
}

func readFloats(path string) ([]float32, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b)%4 != 0 {
		return nil, fmt.Errorf("%s: %d bytes is not a whole number of float32", path, len(b))
	}
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v, nil
}
