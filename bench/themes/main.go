// Command themes times `papermap themes` stage by stage on an existing
// store, opened read-only (nothing is written, so the read-only 1M store of
// a benchmark can be used as it is), through the same library call as the
// command (corpus.ComputeThemes with the default settings):
//
//	go run ./bench/themes -store DIR [-cpuprofile FILE] [-k K] [-seed S] [-fit N] [-label FIELD]
//
// It prints the store's open time, each stage's wall and CPU time (the stages
// cluster.FitThemes names), the total, the peak RSS of the process
// (getrusage), the chosen k, the levels and a digest of the model (equal
// digests: the same themes); with -label FIELD, also the
// V-measure of the chosen level against that field of the papers (`venue`
// for the 1M corpus of bench/million, recombined within venues), whose
// lookup of every paper is timed apart from the total (before 2026-12-06
// 17:00 UTC the total included it).
package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"strings"
	"syscall"
	"time"

	"github.com/papermap/papermap/bench/internal/cpuprof"
	"github.com/papermap/papermap/cluster"
	"github.com/papermap/papermap/corpus"
)

func main() {
	store := flag.String("store", "", "store directory")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the theme computation to FILE")
	k := flag.Int("k", 0, "number of themes (0: chosen)")
	seed := flag.Uint64("seed", 0, "seed")
	label := flag.String("label", "", "paper field to score the chosen level against (V-measure)")
	fit := flag.Int("fit", 0, "fit the themes on a sample of at most this many papers (ThemeSettings.FitRows; 0 = papermap's default, negative = all papers)")
	flag.Parse()
	if *store == "" {
		log.Fatal("usage: themes -store DIR [-cpuprofile FILE] [-k K] [-seed S] [-fit N] [-label FIELD]")
	}
	ctx := context.Background()
	start := time.Now()
	c, err := corpus.Open(ctx, *store, corpus.Options{ReadOnly: true})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	fmt.Printf("open: %.1f s\n", time.Since(start).Seconds())
	defer cpuprof.Start(*cpuprofile)()
	t0, cpu0 := time.Now(), cpuSeconds()
	// The time before FitThemes' first stage (reading the store's vectors)
	// is a stage of its own.
	last, lastCPU, name := t0, cpu0, "reading the vectors (before the first stage)"
	flush := func(now time.Time) {
		c := cpuSeconds()
		if name != "" {
			fmt.Printf("%6.1f s wall %6.1f s CPU  %s\n", now.Sub(last).Seconds(), c-lastCPU, name)
		}
		lastCPU = c
	}
	m, err := c.ComputeThemes(ctx, corpus.ThemeOptions{K: *k, Seed: *seed, FitRows: *fit, Progress: func(s string) {
		now := time.Now()
		flush(now)
		last, name = now, s
	}})
	if err != nil {
		log.Fatal(err)
	}
	flush(time.Now())
	// The theme computation ends here; scoring against -label (a lookup of
	// every paper) is timed apart.
	wall, cpu := time.Since(t0).Seconds(), cpuSeconds()-cpu0
	sizes := make([]string, len(m.Levels))
	for l, lv := range m.Levels {
		sizes[l] = fmt.Sprint(len(lv.Themes))
	}
	if *label != "" {
		classes := map[string]int{}
		truth := make([]int, len(m.IDs))
		for i, id := range m.IDs {
			p, _ := c.Paper(id)
			l := p.Extra[*label]
			if _, ok := classes[l]; !ok {
				classes[l] = len(classes)
			}
			truth[i] = classes[l]
		}
		_, _, v := cluster.VMeasure(truth, m.Levels[m.Chosen].Labels)
		fmt.Printf("V-measure of the chosen level against %s (%d classes): %.2f (scoring took %.1f s, not counted below)\n", *label, len(classes), 100*v, time.Since(t0).Seconds()-wall)
	}
	// A digest of the model (without its creation time) tells whether two
	// builds computed the same themes.
	js, err := json.Marshal(m.ThemeModel)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("model digest (SHA-256 of cluster.ThemeModel's JSON): %x\n", sha256.Sum256(js))
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	fmt.Printf("themes: %.1f s wall, %.1f s CPU; with the open %.1f s; peak RSS %.2f GB; k = %d (auto %v, sample %d); fitted on %d papers; levels %s; silhouette %.3f\n",
		wall, cpu, wall+t0.Sub(start).Seconds(), float64(ru.Maxrss)/(1<<20), m.K, m.Auto, m.KSample, fitted(m), strings.Join(sizes, " > "), m.Silhouette)
}

// fitted is the number of papers the themes were fitted on.
func fitted(m *corpus.ThemeModel) int {
	if m.FitSample > 0 {
		return m.FitSample
	}
	return len(m.IDs)
}

// cpuSeconds is the user and system CPU time of the process so far.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}
