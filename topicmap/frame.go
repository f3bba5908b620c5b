package topicmap

import (
	"math"
	"slices"
)

// frameBox is the part of the map a static picture shows, in map
// coordinates.
type frameBox struct{ minX, maxX, minY, maxY float64 }

func (b frameBox) contains(x, y float64) bool {
	return x >= b.minX && x <= b.maxX && y >= b.minY && y <= b.maxY
}

// Framing constants (static maps).
const (
	// frameTrim is the share of points cut at each end of each axis before
	// anything else: a few stray papers never set the scale.
	frameTrim = 0.005
	// frameGrid is the largest number of cells per axis of the occupancy
	// grid that finds the separate regions of the map; smaller maps get
	// about frameCellPoints points per cell.
	frameGrid       = 48
	frameCellPoints = 8
	// frameMinShare is the smallest share of the points a region apart
	// from the main body needs to be kept in the frame at all.
	frameMinShare = 0.005
	// frameGrowth bounds how much a region may enlarge the frame: by at
	// most frameGrowth times its share of the points, in area. A region
	// beside the main body costs nothing; a small island far away (a
	// front-matter theme, say) would squash the themes into a corner and
	// is left out.
	frameGrowth = 10
	// frameKeepShare is the share of the points that keeps a region in the
	// frame wherever it lies: that many papers are a theme of their own.
	frameKeepShare = 0.05
	// frameDensity is the share of the mean points per cell an occupied
	// cell needs.
	frameDensity = 0.25
	// framePad is the margin added on each side, as a share of the width.
	framePad = 0.03
)

// staticFrame chooses the part of the map a static picture shows: the
// points between the frameTrim and 1−frameTrim quantiles of each axis are
// binned on a square grid (frameGrid cells a side, fewer for small maps); the 8-connected groups of
// occupied cells (at least frameDensity of the mean count) are the map's
// regions; the largest (by points) is the main
// body, and another region is kept when it holds at least frameMinShare of
// the points and enlarges the frame of the regions kept so far by at most
// frameGrowth times its share of the points (in area), or holds at least
// frameKeepShare of them.
// The frame is the kept regions' bounding box plus framePad. Points outside
// it are not drawn (staticMap notes how many). With fewer than 20 points
// the frame is the bounding box of all.
func staticFrame(xs, ys []float64) frameBox {
	n := len(xs)
	all := frameBox{math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)}
	for i := range xs {
		all.minX, all.maxX = min(all.minX, xs[i]), max(all.maxX, xs[i])
		all.minY, all.maxY = min(all.minY, ys[i]), max(all.maxY, ys[i])
	}
	if n < 20 {
		return pad(all)
	}
	lo, hi := quantiles(xs, frameTrim)
	bLo, bHi := quantiles(ys, frameTrim)
	box := frameBox{lo, hi, bLo, bHi}
	if box.maxX <= box.minX || box.maxY <= box.minY {
		return pad(all)
	}
	g := max(8, min(frameGrid, int(math.Sqrt(float64(n)/frameCellPoints))))
	cell := func(v, a, b float64) int { return min(g-1, int((v-a)/(b-a)*float64(g))) }
	count := make([]int, g*g)
	for i := range xs {
		if box.contains(xs[i], ys[i]) {
			count[cell(ys[i], box.minY, box.maxY)*g+cell(xs[i], box.minX, box.maxX)]++
		}
	}
	// A cell is occupied when it holds at least frameDensity of the mean
	// count (and 2 points): scattered strays do not bridge two regions.
	dense := max(2, int(frameDensity*float64(n)/float64(g*g)))
	for i, c := range count {
		if c < dense {
			count[i] = 0
		}
	}
	// Regions: connected components of occupied cells.
	comp := make([]int, g*g)
	for i := range comp {
		comp[i] = -1
	}
	type region struct {
		points                 int
		minC, maxC, minR, maxR int
	}
	var regions []region
	for start := range count {
		if count[start] == 0 || comp[start] >= 0 {
			continue
		}
		id := len(regions)
		rg := region{minC: g, minR: g, maxC: -1, maxR: -1}
		stack := []int{start}
		comp[start] = id
		for len(stack) > 0 {
			c := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			r, col := c/g, c%g
			rg.points += count[c]
			rg.minC, rg.maxC = min(rg.minC, col), max(rg.maxC, col)
			rg.minR, rg.maxR = min(rg.minR, r), max(rg.maxR, r)
			for dr := -1; dr <= 1; dr++ {
				for dc := -1; dc <= 1; dc++ {
					rr, cc := r+dr, col+dc
					if rr < 0 || rr >= g || cc < 0 || cc >= g {
						continue
					}
					if q := rr*g + cc; count[q] > 0 && comp[q] < 0 {
						comp[q] = id
						stack = append(stack, q)
					}
				}
			}
		}
		regions = append(regions, rg)
	}
	order := make([]int, len(regions))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return regions[b].points - regions[a].points })
	kept := regions[order[0]]
	// Regions join in order of size; one joining can bring a farther one
	// within reach, so repeat until nothing changes.
	used := make([]bool, len(regions))
	used[order[0]] = true
	for changed := true; changed; {
		changed = false
		for _, i := range order {
			rg := regions[i]
			if used[i] || float64(rg.points) < frameMinShare*float64(n) {
				continue
			}
			grown := kept
			grown.minC, grown.maxC = min(kept.minC, rg.minC), max(kept.maxC, rg.maxC)
			grown.minR, grown.maxR = min(kept.minR, rg.minR), max(kept.maxR, rg.maxR)
			area := func(r region) float64 { return float64((r.maxC - r.minC + 1) * (r.maxR - r.minR + 1)) }
			share := float64(rg.points) / float64(n)
			if share < frameKeepShare && area(grown) > area(kept)*(1+frameGrowth*share) {
				continue
			}
			used[i], changed = true, true
			kept = grown
		}
	}
	wx, wy := (box.maxX-box.minX)/float64(g), (box.maxY-box.minY)/float64(g)
	return pad(frameBox{
		box.minX + float64(kept.minC)*wx, box.minX + float64(kept.maxC+1)*wx,
		box.minY + float64(kept.minR)*wy, box.minY + float64(kept.maxR+1)*wy,
	})
}

func pad(b frameBox) frameBox {
	w, h := b.maxX-b.minX, b.maxY-b.minY
	if w <= 0 {
		w = 1
	}
	if h <= 0 {
		h = 1
	}
	return frameBox{b.minX - framePad*w, b.maxX + framePad*w, b.minY - framePad*h, b.maxY + framePad*h}
}

// quantiles returns the q and 1−q quantiles of v (nearest rank).
func quantiles(v []float64, q float64) (float64, float64) {
	s := slices.Clone(v)
	slices.Sort(s)
	i := int(q * float64(len(s)))
	return s[i], s[len(s)-1-i]
}
