package cluster

import "errors"

// Errors returned for bad data or bad settings. They are wrapped with details;
// match them with errors.Is.
var (
	// ErrTooFewPoints: fewer rows than clusters (or than a method needs).
	ErrTooFewPoints = errors.New("cluster: too few points")
	// ErrNotFinite: the data holds a NaN or an infinity.
	ErrNotFinite = errors.New("cluster: data not finite")
	// ErrZeroVector: cosine geometry was asked for and a row has zero length.
	ErrZeroVector = errors.New("cluster: zero vector in cosine geometry")
	// ErrBadOption: a setting is out of range (K ≤ 0, Init of the wrong shape, ...).
	ErrBadOption = errors.New("cluster: bad option")
)
